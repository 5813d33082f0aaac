/** Hand-written examples pinning the skills, on_call and sticky strategies. */
import { describe, expect, it } from 'vitest';
import { buildMember, buildRoute } from '../../src/config/build-roster.js';
import {
  compilePolicy,
  decide,
  type Roster,
  type Route,
  type SkillsSpec,
  type Snapshot,
  type Task,
} from '../../src/core/index.js';
import { member, rosterOf } from '../support/roster.js';

const NOW = new Date('2026-03-05T12:00:00Z');
const VERSION = 'pv_strategies';

const ROSTER: Roster = rosterOf(
  [
    member('ana', { capacity: 4, skills: { payments: 5, kafka: 3 } }),
    member('ben', { capacity: 4, skills: { payments: 3, postgres: 4 } }),
    member('cy', { capacity: 2, skills: { payments: 2, kafka: 5 } }),
    member('dee', { capacity: 4, skills: { kafka: 4 } }),
    member('eli', { capacity: 5 }),
    member('fay', { capacity: 5 }),
    member('chen', { capacity: 5 }),
    member('gus', { capacity: 3 }),
  ],
  [
    { id: 'payments', name: 'Payments', members: ['ana', 'ben', 'cy', 'dee'], timezone: 'UTC' },
    { id: 'sre', name: 'SRE', members: ['eli', 'fay', 'chen'], timezone: 'UTC', escalation: 'gus' },
    { id: 'bare', name: 'No escalation', members: ['eli'], timezone: 'UTC' },
  ],
);

const compiled = (routes: Route[], roster: Roster = ROSTER) =>
  compilePolicy({ version: VERSION, fallbackQueue: 'triage', routes }, roster);
const snap = (over: Partial<Snapshot> = {}): Snapshot => ({ load: {}, away: {}, ...over });
const TASK: Task = { externalId: 'T-9', title: 'Something broke', type: 'bug' };

/** A next route that catches whatever the route under test lets fall through. */
const REST: Route = { name: 'rest', strategy: 'direct', assignee: 'fay' };

describe('skills', () => {
  const spec = (over: Partial<SkillsSpec> = {}): SkillsSpec => ({
    required: ['payments'],
    preferred: ['kafka', 'postgres'],
    minLevel: 3,
    weights: { level: 1, preferred: 0.5, load: 1 },
    ...over,
  });
  const route = (over: Partial<SkillsSpec> = {}, members = ['ana', 'ben', 'cy', 'dee']): Route => ({
    name: 'sk',
    strategy: 'skills',
    members,
    skills: spec(over),
  });

  it('scores level, preferred share and free capacity with exact breakdowns; the highest score wins', () => {
    const d = decide(TASK, snap({ load: { ana: 2 } }), compiled([route()]), NOW);
    expect(d).toMatchObject({ outcome: 'assigned', assignee: 'ben', route: 'sk', strategy: 'skills' });
    expect(d.candidates).toEqual([
      // payments 5/5 → 1; kafka of kafka+postgres → 0.5 × 0.5; 2 of 4 open → 0.5 free.
      { memberId: 'ana', score: 1.75, breakdown: { level: 1, preferred: 0.25, load: 0.5 } },
      // payments 3/5 → 0.6; postgres → 0.25; nothing open → 1.
      { memberId: 'ben', score: 1.85, breakdown: { level: 0.6, preferred: 0.25, load: 1 } },
      { memberId: 'cy', excluded: { code: 'missing_skill', skill: 'payments', level: 2, minLevel: 3 } },
      { memberId: 'dee', excluded: { code: 'missing_skill', skill: 'payments' } },
    ]);
    expect(d.explanation).toContain('ben scored highest (1.85: level 0.6, preferred 0.25, free capacity 1)');
    expect(d.explanation).toContain(
      'Excluded: cy (skill `payments` at level 2, below 3), dee (missing skill `payments`).',
    );
  });

  it('averages the levels of several required skills', () => {
    const d = decide(TASK, snap(), compiled([route({ required: ['payments', 'kafka'], minLevel: 1 })]), NOW);
    // ana (5+3)/2/5 = 0.8 and cy (2+5)/2/5 = 0.7; ben and dee lack one of the two.
    expect(d.candidates.map((c) => [c.memberId, c.breakdown?.level ?? c.excluded?.code])).toEqual([
      ['ana', 0.8],
      ['ben', 'missing_skill'],
      ['cy', 0.7],
      ['dee', 'missing_skill'],
    ]);
    expect(d.assignee).toBe('ana');
  });

  it('uses the route’s weights: all weight on level picks the strongest, all on load the emptiest', () => {
    const levelOnly = decide(
      TASK,
      snap({ load: { ana: 3 } }),
      compiled([route({ weights: { level: 2, preferred: 0, load: 0 } })]),
      NOW,
    );
    expect(levelOnly.assignee).toBe('ana');
    expect(levelOnly.candidates[0]).toEqual({
      memberId: 'ana',
      score: 2,
      breakdown: { level: 2, preferred: 0, load: 0 },
    });
    const loadOnly = decide(
      TASK,
      snap({ load: { ana: 1, ben: 3 } }),
      compiled([route({ weights: { level: 0, preferred: 0, load: 1 } })]),
      NOW,
    );
    expect(loadOnly.assignee).toBe('ana');
    expect(loadOnly.candidates.slice(0, 2).map((c) => c.score)).toEqual([0.75, 0.25]);
  });

  it('breaks equal scores by declared order', () => {
    const twins: Roster = rosterOf([
      member('p', { capacity: 4, skills: { payments: 4 } }),
      member('q', { capacity: 4, skills: { payments: 4 } }),
    ]);
    const pq = decide(TASK, snap(), compiled([route({}, ['p', 'q'])], twins), NOW);
    const qp = decide(TASK, snap(), compiled([route({}, ['q', 'p'])], twins), NOW);
    expect(pq.candidates.map((c) => c.score)).toEqual([1.8, 1.8]);
    expect([pq.assignee, qp.assignee]).toEqual(['p', 'q']);
  });

  it('falls through when nobody has the required skills at minLevel', () => {
    const d = decide(TASK, snap(), compiled([route({ minLevel: 5 }, ['ben', 'cy']), REST]), NOW);
    expect(d).toMatchObject({ assignee: 'fay', route: 'rest' });
    expect(d.explanation).toContain(
      'Route "sk" matched but nobody was eligible: ben (skill `payments` at level 3, below 5), ' +
        'cy (skill `payments` at level 2, below 5).',
    );
  });

  it('config defaults: a skills list means level 3 each; weights level 1, preferred 0.5, load 1', () => {
    const roster: Roster = rosterOf([
      buildMember({ id: 'lst', capacity: 2, skills: ['payments'] }),
      buildMember({ id: 'map', capacity: 2, skills: { payments: 4 } }),
    ]);
    const r = buildRoute({
      name: 'sk',
      strategy: 'skills',
      members: ['lst', 'map'],
      skills: { required: ['payments'], minLevel: 3 },
    });
    const d = decide(TASK, snap({ load: { map: 1 } }), compiled([r], roster), NOW);
    expect(d.candidates).toEqual([
      { memberId: 'lst', score: 1.6, breakdown: { level: 0.6, preferred: 0, load: 1 } },
      { memberId: 'map', score: 1.3, breakdown: { level: 0.8, preferred: 0, load: 0.5 } },
    ]);
    expect(d.assignee).toBe('lst');
  });
});

describe('on_call', () => {
  const ROUTE: Route = { name: 'incidents', strategy: 'on_call', teams: ['sre'] };
  const LAYERS = {
    sre: [
      { layer: 'primary', member: 'eli' },
      { layer: 'secondary', member: 'fay' },
    ],
  };
  const page = (over: Partial<Snapshot> = {}, route: Route = ROUTE) =>
    decide(TASK, snap({ onCall: LAYERS, ...over }), compiled([route, { ...REST, assignee: 'ana' }]), NOW);

  it('assigns the primary on call for the route’s first team', () => {
    const d = page();
    expect(d).toMatchObject({ outcome: 'assigned', assignee: 'eli', route: 'incidents', strategy: 'on_call' });
    expect(d.escalated).toBeUndefined();
    expect(d.candidates).toEqual([
      { memberId: 'eli', score: 3 },
      { memberId: 'fay', score: 2 },
      { memberId: 'gus', score: 0 },
    ]);
    expect(d.explanation).toContain('eli is on call (primary layer) for sre');
  });

  it('passes to the next layer when the primary is away or on leave', () => {
    const away = page({ away: { eli: true } });
    expect(away.assignee).toBe('fay');
    expect(away.candidates[0]).toEqual({ memberId: 'eli', excluded: { code: 'away' } });
    expect(away.explanation).toContain('fay is on call (secondary layer) for sre');
    const leave = page({ onLeave: { eli: true } });
    expect(leave.assignee).toBe('fay');
    expect(leave.explanation).toContain('Excluded: eli (on leave).');
  });

  it('pages the team’s escalation target when every layer is unavailable, and marks the decision escalated', () => {
    const d = page({ away: { eli: true }, onLeave: { fay: true } });
    expect(d).toMatchObject({ assignee: 'gus', route: 'incidents', escalated: true });
    expect(d.explanation).toContain('gus is the escalation target of sre: nobody on call was available');
    expect(d.explanation).toContain('Excluded: eli (away), fay (on leave).');
  });

  it('falls through when nobody on call nor the escalation target is available, or nobody is on call', () => {
    const d = page({ away: { eli: true, fay: true, gus: true } });
    expect(d).toMatchObject({ assignee: 'ana', route: 'rest' });
    expect(d.routesTried[0]).toMatchObject({ route: 'incidents', outcome: 'no_eligible_candidate' });
    const bare: Route = { name: 'incidents', strategy: 'on_call', teams: ['bare'] };
    const nobody = page({}, bare);
    expect(nobody.route).toBe('rest');
    expect(nobody.explanation).toContain(
      'Route "incidents" matched but nobody was eligible: nobody is on call for bare now.',
    );
  });

  it('ignores capacity unless the route sets ignoreCapacity: false', () => {
    const full = { load: { eli: 5, fay: 1 } };
    expect(page(full).assignee).toBe('eli');
    const strict = page(full, { ...ROUTE, ignoreCapacity: false });
    expect(strict.assignee).toBe('fay');
    expect(strict.candidates[0]).toEqual({ memberId: 'eli', excluded: { code: 'at_capacity', load: 5, capacity: 5 } });
  });

  it('says who covers for whom when an override put the member on call', () => {
    const d = page({ onCall: { sre: [{ layer: 'primary', member: 'chen', covering: 'eli' }] } });
    expect(d.assignee).toBe('chen');
    expect(d.explanation).toContain('chen is on call (primary layer, covering for eli) for sre');
  });

  it('considers a member on call in two layers once', () => {
    const d = page({
      onCall: {
        sre: [
          { layer: 'primary', member: 'fay' },
          { layer: 'secondary', member: 'fay' },
        ],
      },
    });
    expect(d.candidates.map((c) => c.memberId)).toEqual(['fay', 'gus']);
  });
});

describe('sticky', () => {
  const ROUTE: Route = { name: 'follow-up', strategy: 'sticky' };
  const RELATED = { 'T-1': 'ana', 'T-2': 'ben', 'T-4': 'ana' };
  const follow = (relatedTo: string[] | undefined, over: Partial<Snapshot> = {}) =>
    decide(
      { ...TASK, ...(relatedTo ? { relatedTo } : {}) },
      snap({ related: RELATED, ...over }),
      compiled([ROUTE, REST]),
      NOW,
    );

  it('assigns the assignee of the first related task, in the order the task lists them', () => {
    expect(follow(['T-1', 'T-2']).assignee).toBe('ana');
    const d = follow(['T-3', 'T-2', 'T-1']);
    expect(d).toMatchObject({ assignee: 'ben', route: 'follow-up', strategy: 'sticky' });
    expect(d.explanation).toContain('ben handled the related task T-2');
  });

  it('moves on to the next related assignee when the first is unavailable', () => {
    const d = follow(['T-1', 'T-2'], { away: { ana: true } });
    expect(d.assignee).toBe('ben');
    expect(d.candidates).toEqual([
      { memberId: 'ana', excluded: { code: 'away' } },
      { memberId: 'ben', score: 1 },
    ]);
  });

  it('lists an assignee shared by several related tasks once', () => {
    expect(follow(['T-1', 'T-4', 'T-2']).candidates.map((c) => c.memberId)).toEqual(['ana', 'ben']);
  });

  it('falls through when no related assignee is available, or the task names no related task', () => {
    const busy = follow(['T-1', 'T-2'], { load: { ana: 4 }, onLeave: { ben: true } });
    expect(busy).toMatchObject({ assignee: 'fay', route: 'rest' });
    expect(busy.explanation).toContain(
      'Route "follow-up" matched but nobody was eligible: ana (at capacity 4/4), ben (on leave).',
    );
    const unknown = follow(['T-3']);
    expect(unknown.route).toBe('rest');
    expect(unknown.explanation).toContain('no related task has an available assignee');
    const none = follow(undefined);
    expect(none.route).toBe('rest');
    expect(none.explanation).toContain('the task names no related task');
  });
});
