/** Hand-written examples pinning route modifiers, per-type capacity, clock conditions and exclusion wording. */
import { describe, expect, it } from 'vitest';
import {
  type Condition,
  compilePolicy,
  decide,
  type Roster,
  type Route,
  type Snapshot,
  type Task,
} from '../../src/core/index.js';
import type { LocalClock } from '../../src/core/schedule/index.js';
import { member, rosterOf } from '../support/roster.js';

const NOW = new Date('2026-03-07T23:00:00Z');
const VERSION = 'pv_modifiers';

const ROSTER: Roster = rosterOf(
  [
    member('ana', { capacity: 5, skills: { payments: 5, postgres: 1 }, capacityByType: { incident: 1 } }),
    member('ben', { capacity: 3, skills: { payments: 2 } }),
    member('cy', { capacity: 3, skills: { postgres: 4 } }),
    member('dee', { capacity: 3 }),
    member('gus', { capacity: 1 }),
  ],
  [
    { id: 'payments', name: 'Payments', members: ['ana', 'ben'], timezone: 'Europe/Berlin' },
    { id: 'sre', name: 'SRE', members: ['cy', 'dee'], timezone: 'America/New_York' },
  ],
);

const compiled = (routes: Route[]) => compilePolicy({ version: VERSION, fallbackQueue: 'triage', routes }, ROSTER);
const snap = (over: Partial<Snapshot> = {}): Snapshot => ({ load: {}, away: {}, ...over });
const TASK: Task = { externalId: 'T-1', title: 'Card declined', type: 'bug', labels: ['payments'] };

const PAY: Route = { name: 'pay', strategy: 'least_loaded', teams: ['payments'] };
const REST: Route = { name: 'rest', strategy: 'direct', assignee: 'dee' };
const routeOf = (routes: Route[], over: Partial<Snapshot> = {}, task: Task = TASK) =>
  decide(task, snap(over), compiled(routes), NOW);

describe('during business hours', () => {
  it('business_hours matches only while the route’s first team is open (absent = closed)', () => {
    const routes = [{ ...PAY, during: 'business_hours' as const }, REST];
    expect(routeOf(routes, { teamOpen: { payments: true } }).route).toBe('pay');
    expect(routeOf(routes, { teamOpen: { payments: false } }).route).toBe('rest');
    expect(routeOf(routes).route).toBe('rest');
    expect(routeOf(routes, { teamOpen: { payments: false } }).routesTried[0]).toEqual({ route: 'pay', matched: false });
  });

  it('outside_business_hours matches only while it is closed, and hoursTeam picks whose hours', () => {
    const outside = [{ ...PAY, during: 'outside_business_hours' as const }, REST];
    expect(routeOf(outside, { teamOpen: { payments: false } }).route).toBe('pay');
    expect(routeOf(outside, { teamOpen: { payments: true } }).route).toBe('rest');
    const bySre = [{ ...PAY, during: 'business_hours' as const, hoursTeam: 'sre' }, REST];
    expect(routeOf(bySre, { teamOpen: { payments: false, sre: true } }).route).toBe('pay');
    expect(routeOf(bySre, { teamOpen: { payments: true, sre: false } }).route).toBe('rest');
  });
});

describe('candidate filters', () => {
  it('requireSkills keeps members with every listed skill, at any level', () => {
    const d = routeOf([
      { name: 'db', strategy: 'round_robin', members: ['ana', 'ben', 'cy'], requireSkills: ['postgres'] },
    ]);
    expect(d.assignee).toBe('ana'); // postgres at level 1 is enough
    expect(d.candidates).toEqual([
      { memberId: 'ana', score: 1 },
      { memberId: 'ben', excluded: { code: 'missing_skill', skill: 'postgres' } },
      { memberId: 'cy', score: 1 },
    ]);
  });

  it('requireSkills on a skills route is not held to the skills minLevel', () => {
    const route: Route = {
      name: 'sk',
      strategy: 'skills',
      members: ['ana', 'ben'],
      requireSkills: ['postgres'],
      skills: { required: ['payments'], preferred: [], minLevel: 3, weights: { level: 1, preferred: 0, load: 0 } },
    };
    const d = routeOf([route]);
    expect(d.assignee).toBe('ana');
    expect(d.candidates).toEqual([
      { memberId: 'ana', score: 1, breakdown: { level: 1, preferred: 0, load: 0 } },
      { memberId: 'ben', excluded: { code: 'missing_skill', skill: 'postgres' } },
    ]);
  });

  it('excludeOffHours excludes members outside their working hours; without it they stay eligible', () => {
    const offHours = { ana: true };
    expect(routeOf([PAY], { offHours }).assignee).toBe('ana');
    const d = routeOf([{ ...PAY, excludeOffHours: true }], { offHours });
    expect(d.assignee).toBe('ben');
    expect(d.candidates[0]).toEqual({ memberId: 'ana', excluded: { code: 'off_hours' } });
    expect(d.explanation).toContain('Excluded: ana (outside working hours).');
  });

  it('ignoreCapacity lets a strategy pick members at or over capacity', () => {
    const full = { load: { ana: 6, ben: 3 } };
    expect(routeOf([PAY, REST], full).route).toBe('rest');
    const d = routeOf([{ ...PAY, ignoreCapacity: true }], full);
    expect(d.assignee).toBe('ben');
    expect(d.candidates).toEqual([
      { memberId: 'ana', score: -6 },
      { memberId: 'ben', score: -3 },
    ]);
  });

  it('away and on leave exclude even when the route ignores capacity', () => {
    const d = routeOf([{ ...PAY, ignoreCapacity: true }, REST], { away: { ana: true }, onLeave: { ben: true } });
    expect(d.route).toBe('rest');
  });
});

describe('per-type capacity', () => {
  const incident: Task = { ...TASK, type: 'incident' };

  it('a member at their capacity for the task’s type is excluded with the type, other types are not limited', () => {
    const byType = { load: { ana: 1 }, loadByType: { ana: { incident: 1 } } };
    const d = routeOf([PAY], byType, incident);
    expect(d.assignee).toBe('ben');
    expect(d.candidates[0]).toEqual({
      memberId: 'ana',
      excluded: { code: 'at_capacity', load: 1, capacity: 1, type: 'incident' },
    });
    expect(d.explanation).toContain('Excluded: ana (at capacity 1/1 for incident tasks).');
    expect(routeOf([PAY], { ...byType, load: { ana: 0, ben: 1 } }, TASK).assignee).toBe('ana');
    expect(routeOf([PAY], { load: { ben: 1 } }, incident).assignee).toBe('ana'); // absent = 0 of that type
  });

  it('the overall capacity is reported first when both are reached', () => {
    const d = routeOf([PAY], { load: { ana: 5 }, loadByType: { ana: { incident: 3 } } }, { ...TASK, type: 'incident' });
    expect(d.candidates[0]?.excluded).toEqual({ code: 'at_capacity', load: 5, capacity: 5 });
  });

  it('ignoreCapacity ignores per-type capacity too', () => {
    const d = routeOf([{ ...PAY, ignoreCapacity: true }], { loadByType: { ana: { incident: 9 } } }, incident);
    expect(d.assignee).toBe('ana');
  });
});

describe('escalateTo, queueIfNoneEligible and boost', () => {
  it('escalateTo assigns the escalation target when nobody is eligible, even at capacity, marked escalated', () => {
    const d = routeOf([{ ...PAY, escalateTo: 'gus' }, REST], { away: { ana: true, ben: true }, load: { gus: 1 } });
    expect(d).toMatchObject({ outcome: 'assigned', assignee: 'gus', route: 'pay', strategy: 'least_loaded' });
    expect(d.escalated).toBe(true);
    expect(d.routesTried).toEqual([{ route: 'pay', matched: true, outcome: 'assigned' }]);
    expect(d.candidates).toEqual([
      { memberId: 'ana', excluded: { code: 'away' } },
      { memberId: 'ben', excluded: { code: 'away' } },
    ]);
    expect(d.explanation).toBe(
      'Assigned to GUS (gus) by route "pay" (least_loaded) because it is a catch-all route: ' +
        'nobody was eligible, so the route escalated to gus. Excluded: ana (away), ben (away). ' +
        `Policy ${VERSION}.`,
    );
  });

  it('escalateTo is not used while someone is eligible, nor when the target is away or on leave', () => {
    const normal = routeOf([{ ...PAY, escalateTo: 'gus' }], { away: { ana: true } });
    expect(normal).toMatchObject({ assignee: 'ben' });
    expect(normal.escalated).toBeUndefined();
    const nobody = { away: { ana: true, ben: true } };
    expect(
      routeOf([{ ...PAY, escalateTo: 'gus' }, REST], { ...nobody, away: { ...nobody.away, gus: true } }).route,
    ).toBe('rest');
    expect(routeOf([{ ...PAY, escalateTo: 'gus' }, REST], { ...nobody, onLeave: { gus: true } }).route).toBe('rest');
  });

  it('queueIfNoneEligible queues in the route’s queue instead of trying the next route', () => {
    const d = routeOf([{ ...PAY, queueIfNoneEligible: 'pay-later' }, REST], { onLeave: { ana: true, ben: true } });
    expect(d).toMatchObject({ outcome: 'queued', assignee: null, queue: 'pay-later', route: 'pay' });
    expect(d.explanation).toContain('Excluded: ana (on leave), ben (on leave).');
  });

  it('a queued decision carries the largest boost of the routes it matched; an assigned one carries none', () => {
    const away = { away: { ana: true, ben: true } };
    const skipped: Route = { ...PAY, name: 'never', boost: 4, when: { field: 'type', eq: 'question' } };
    const first: Route = { ...PAY, name: 'first', boost: 3 };
    const queue: Route = { ...PAY, name: 'queue', boost: 1, queueIfNoneEligible: 'vip' };
    const queued = routeOf([skipped, first, queue], away);
    expect(queued).toMatchObject({ outcome: 'queued', queue: 'vip', boost: 3 });
    const fallback = routeOf([skipped, { ...first, boost: 2 }], away);
    expect(fallback).toMatchObject({ outcome: 'queued', queue: 'triage', route: null, boost: 2 });
    const assigned = routeOf([first, queue]);
    expect(assigned.outcome).toBe('assigned');
    expect(assigned).not.toHaveProperty('boost');
    expect(routeOf([{ ...PAY, queueIfNoneEligible: 'q' }], away)).not.toHaveProperty('boost');
  });
});

describe('clock conditions', () => {
  const at = (weekday: LocalClock['weekday'], hhmm: string): Partial<Snapshot> => {
    const [h, m] = hhmm.split(':').map(Number);
    return { clocks: { sre: { weekday, minutes: h! * 60 + m!, date: '2026-03-07' } } };
  };
  const matches = (clock: Extract<Condition, { clock: unknown }>['clock'], over: Partial<Snapshot>) =>
    routeOf([{ ...REST, name: 'clocked', when: { clock } }], over).route === 'clocked';

  it('weekdays matches on the team’s local weekday', () => {
    const weekend = { team: 'sre', weekdays: ['sat' as const, 'sun' as const] };
    expect(matches(weekend, at('sat', '10:00'))).toBe(true);
    expect(matches(weekend, at('sun', '23:59'))).toBe(true);
    expect(matches(weekend, at('fri', '23:59'))).toBe(false);
  });

  it('between is [from, to) in local time', () => {
    const office = { team: 'sre', between: ['09:00', '17:00'] as [string, string] };
    expect(matches(office, at('mon', '08:59'))).toBe(false);
    expect(matches(office, at('mon', '09:00'))).toBe(true);
    expect(matches(office, at('mon', '16:59'))).toBe(true);
    expect(matches(office, at('mon', '17:00'))).toBe(false);
  });

  it('between wraps past midnight when to ≤ from, and combines with weekdays', () => {
    const night = { team: 'sre', between: ['22:00', '06:00'] as [string, string] };
    expect(matches(night, at('tue', '21:59'))).toBe(false);
    expect(matches(night, at('tue', '22:00'))).toBe(true);
    expect(matches(night, at('tue', '00:00'))).toBe(true);
    expect(matches(night, at('tue', '05:59'))).toBe(true);
    expect(matches(night, at('tue', '06:00'))).toBe(false);
    const saturdayNight = { ...night, weekdays: ['sat' as const] };
    expect(matches(saturdayNight, at('sat', '23:00'))).toBe(true);
    expect(matches(saturdayNight, at('sun', '01:00'))).toBe(false); // the local weekday, not the shift's
  });

  it('never matches without a clock for the team', () => {
    expect(matches({ team: 'sre' }, {})).toBe(false);
    expect(matches({ team: 'sre' }, { clocks: { payments: { weekday: 'sat', minutes: 0, date: '2026-03-07' } } })).toBe(
      false,
    );
    expect(matches({ team: 'sre' }, at('wed', '12:00'))).toBe(true);
  });

  it('the explanation describes the clock condition', () => {
    const when: Condition = { clock: { team: 'sre', weekdays: ['sat', 'sun'], between: ['22:00', '06:00'] } };
    const d = routeOf([{ ...REST, name: 'clocked', when }], at('sat', '23:00'));
    expect(d.explanation).toContain('because the task matched sre local time is on sat/sun between 22:00 and 06:00:');
  });
});

describe('the explanation of exclusions', () => {
  it('names every exclusion reason in words', () => {
    const route: Route = {
      name: 'all',
      strategy: 'round_robin',
      members: ['ana', 'ben', 'cy', 'dee', 'ghost', 'gus'],
      requireSkills: ['payments'],
      excludeOffHours: true,
      queueIfNoneEligible: 'held',
    };
    const d = routeOf([route], {
      load: { ana: 5 },
      away: { ben: true },
      onLeave: { cy: true },
      offHours: { dee: true },
    });
    expect(d.explanation).toBe(
      'Queued in "held" by route "all": it is a catch-all route but nobody was eligible. ' +
        'Excluded: ana (at capacity 5/5), ben (away), cy (on leave), dee (outside working hours), ' +
        'ghost (not a known member), gus (missing skill `payments`). ' +
        `Policy ${VERSION}.`,
    );
  });
});
