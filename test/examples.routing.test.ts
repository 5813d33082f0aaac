/**
 * examples/routing.yaml does what its comments say: every strategy and modifier, decided at
 * fixed instants with the schedule state the pipeline would compute (rotations, overrides,
 * business hours, working hours, leave, local clocks).
 */
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.js';
import { decide, type Snapshot, type Task } from '../src/core/index.js';
import { computeScheduleState } from '../src/core/schedule-state.js';

const tenant = loadConfigFile('examples/routing.yaml').tenants.get('northwind')!;
/** Thanksgiving, Thursday 2026-11-26 10:00 in New York (15:00Z, 16:00 in Berlin, 15:00 in Lisbon). */
const THURSDAY = new Date('2026-11-26T15:00:00Z');
/** Saturday 2026-11-28, 10:00 in New York, 16:00 in Berlin: payments is closed. */
const SATURDAY = new Date('2026-11-28T15:00:00Z');

function route(task: Partial<Task>, at: Date, state: Partial<Snapshot> = {}) {
  const snapshot: Snapshot = { load: {}, away: {}, ...computeScheduleState(tenant, at), ...state };
  return decide({ externalId: 'T-1', title: 'example', ...task }, snapshot, tenant.compiled, at);
}

describe('examples/routing.yaml', () => {
  it('on_call: an incident goes to the primary on call; on Thanksgiving chen covers eli', () => {
    const d = route({ type: 'incident' }, THURSDAY);
    expect(d).toMatchObject({ route: 'incidents', strategy: 'on_call', assignee: 'chen' });
    expect(d.explanation).toContain('covering for eli');
  });

  it('on_call: the secondary layer takes it when the primary is away, then the escalation target', () => {
    expect(route({ type: 'incident' }, THURSDAY, { away: { chen: true } }).assignee).toBe('fay');
    const escalated = route({ type: 'incident' }, THURSDAY, { away: { chen: true, fay: true } });
    expect(escalated.assignee).toBe('gus');
    expect(escalated.explanation).toContain('escalation target of sre');
  });

  it('sticky: a follow-up goes to whoever has the related ticket', () => {
    const d = route({ relatedTo: ['NW-7'] }, THURSDAY, { related: { 'NW-7': 'dana' } });
    expect(d).toMatchObject({ route: 'follow-ups', assignee: 'dana' });
  });

  it('direct: an enterprise customer gets the engineer they asked for', () => {
    const d = route({ customerTier: 'enterprise', requestedAssignee: 'ben' }, THURSDAY);
    expect(d).toMatchObject({ route: 'enterprise-requested', assignee: 'ben' });
  });

  it('skills during business hours: the weighted score picks ana, with the breakdown kept', () => {
    const d = route({ labels: ['payments'] }, THURSDAY);
    expect(d).toMatchObject({ route: 'payments-daytime', strategy: 'skills', assignee: 'ana' });
    expect(d.candidates).toEqual([
      { memberId: 'ana', score: 3.5, breakdown: { level: 2, preferred: 0.5, load: 1 } },
      { memberId: 'ben', score: 2.2, breakdown: { level: 1.2, preferred: 0, load: 1 } },
    ]);
  });

  it('skills: a member on leave is excluded, and with nobody left the route escalates', () => {
    const d = route({ labels: ['payments'] }, new Date('2026-12-22T10:00:00Z'));
    expect(d.candidates.find((c) => c.memberId === 'ben')?.excluded).toEqual({ code: 'on_leave' });
    expect(d.assignee).toBe('ana');
    const escalated = route({ labels: ['payments'] }, THURSDAY, { away: { ana: true, ben: true } });
    expect(escalated).toMatchObject({ assignee: 'gus', escalated: true });
  });

  it('outside business hours: payments waits in its own queue, boosted', () => {
    const d = route({ labels: ['payments'], priority: 3 }, SATURDAY);
    expect(d).toMatchObject({ route: 'payments-overnight', outcome: 'queued', queue: 'payments-next-day', boost: 1 });
    expect(d.candidates.map((c) => c.excluded?.code)).toEqual(['off_hours', 'off_hours']);
  });

  it('a clock condition in SRE’s zone: weekend database work rotates among people with postgres', () => {
    const first = route({ component: 'database' }, SATURDAY);
    expect(first).toMatchObject({ route: 'weekend-database', strategy: 'round_robin', assignee: 'eli' });
    const next = route({ component: 'database' }, SATURDAY, { turns: { 'weekend-database': { eli: 1 } } });
    expect(next.assignee).toBe('fay');
  });

  it('ignoreCapacity: weekday database work goes to the least loaded even when they are full', () => {
    const d = route({ component: 'database' }, THURSDAY, { load: { ben: 5, chen: 1, eli: 2 } });
    expect(d).toMatchObject({ route: 'database', assignee: 'chen' });
    const full = route({ component: 'database' }, THURSDAY, { load: { ben: 0, chen: 5, eli: 5 } });
    expect(full.assignee).toBe('ben');
  });

  it('per-type capacity: ana takes no third open incident even with room overall', () => {
    const member = tenant.roster.members.get('ana');
    expect(member?.capacityByType).toEqual({ incident: 2 });
  });

  it('everything else rotates across triage', () => {
    expect(route({ title: 'misc' }, THURSDAY)).toMatchObject({ route: 'everything-else', assignee: 'dana' });
  });
});
