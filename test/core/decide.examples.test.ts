/** Hand-written examples pinning decide(): conditions, strategies, queues and the explanation. */
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
import { member, rosterOf } from '../support/roster.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const VERSION = 'pv_0123456789abcdef';

const ROSTER: Roster = rosterOf(
  [
    member('alice', { name: 'Alice Moreau', capacity: 3 }),
    member('bob', { name: 'Bob Okafor', capacity: 3 }),
    member('carol', { name: 'Carol Chen', capacity: 4 }),
    member('dave', { name: 'Dave Novak', capacity: 2 }),
    member('erin', { name: 'Erin Walsh', capacity: 5 }),
  ],
  [
    { id: 'payments', name: 'Payments', members: ['alice', 'bob'], timezone: 'UTC' },
    { id: 'platform', name: 'Platform', members: ['carol', 'dave'], timezone: 'UTC' },
  ],
);

const compiled = (routes: Route[], roster: Roster = ROSTER) =>
  compilePolicy({ version: VERSION, fallbackQueue: 'triage', routes }, roster);

const snap = (over: Partial<Snapshot> = {}): Snapshot => ({ load: {}, away: {}, ...over });

const TASK: Task = {
  externalId: 'PAY-1',
  title: 'Refund failed for order 42',
  type: 'bug',
  priority: 2,
  labels: ['payments', 'refunds'],
  component: 'api',
  customerTier: 'pro',
  dueAt: '2024-06-01T10:00:00Z',
};

/** Does a one-route policy with this condition match the task? */
const matches = (when: Condition, task: Partial<Task> = {}) => {
  const d = decide(
    { ...TASK, ...task },
    snap(),
    compiled([{ name: 'r', when, strategy: 'direct', assignee: 'erin' }]),
    NOW,
  );
  return d.route === 'r';
};

describe('conditions', () => {
  it('eq compares strictly; on an array field it holds when any element is equal', () => {
    expect(matches({ field: 'type', eq: 'bug' })).toBe(true);
    expect(matches({ field: 'type', eq: 'Bug' })).toBe(false);
    expect(matches({ field: 'priority', eq: 2 })).toBe(true);
    expect(matches({ field: 'priority', eq: '2' })).toBe(false);
    expect(matches({ field: 'labels', eq: 'refunds' })).toBe(true);
    expect(matches({ field: 'labels', eq: 'infra' })).toBe(false);
    expect(matches({ field: 'requestedAssignee', eq: 'alice' })).toBe(false); // absent field never matches
  });

  it('in holds when the value (or any array element) is listed', () => {
    expect(matches({ field: 'component', in: ['api', 'database'] })).toBe(true);
    expect(matches({ field: 'component', in: ['queue'] })).toBe(false);
    expect(matches({ field: 'labels', in: ['infra', 'payments'] })).toBe(true);
    expect(matches({ field: 'labels', in: ['infra'] })).toBe(false);
    expect(matches({ field: 'priority', in: [1, 2] })).toBe(true);
  });

  it('contains means "has element" on arrays and "has substring" on strings', () => {
    expect(matches({ field: 'labels', contains: 'payments' })).toBe(true);
    expect(matches({ field: 'labels', contains: 'pay' })).toBe(false);
    expect(matches({ field: 'title', contains: 'order 42' })).toBe(true);
    expect(matches({ field: 'title', contains: 'Order' })).toBe(false);
    expect(matches({ field: 'priority', contains: 2 })).toBe(false);
  });

  it('matches tests a regular expression against strings or any array element', () => {
    expect(matches({ field: 'title', matches: '^Refund .* \\d+$' })).toBe(true);
    expect(matches({ field: 'title', matches: '^order' })).toBe(false);
    expect(matches({ field: 'labels', matches: '^ref' })).toBe(true);
    expect(matches({ field: 'labels', matches: '^inf' })).toBe(false);
    expect(matches({ field: 'priority', matches: '2' })).toBe(false); // numbers are not strings
  });

  it('gte/lte compare numbers numerically, inclusive at the bound', () => {
    expect(matches({ field: 'priority', lte: 2 })).toBe(true);
    expect(matches({ field: 'priority', lte: 1 })).toBe(false);
    expect(matches({ field: 'priority', gte: 2 })).toBe(true);
    expect(matches({ field: 'priority', gte: 3 })).toBe(false);
    expect(matches({ field: 'priority', gte: 10 }, { priority: 9 as never })).toBe(false); // not "10" < "9"
    expect(matches({ field: 'priority', lte: 3 }, { priority: undefined })).toBe(false);
  });

  it('gte/lte compare RFC 3339 times as instants, whatever their offsets', () => {
    // 12:00+02:00 is 10:00Z: the same instant as the task's dueAt.
    expect(matches({ field: 'dueAt', gte: '2024-06-01T12:00:00+02:00' })).toBe(true);
    expect(matches({ field: 'dueAt', lte: '2024-06-01T12:00:00+02:00' })).toBe(true);
    // Lexically "2024-06-01T09:30:00-01:00" < "2024-06-01T10:00:00Z", but it is 10:30Z, later.
    expect(matches({ field: 'dueAt', lte: '2024-06-01T09:30:00-01:00' })).toBe(true);
    expect(matches({ field: 'dueAt', gte: '2024-06-01T09:30:00-01:00' })).toBe(false);
    expect(matches({ field: 'dueAt', gte: '2024-06-01T09:59:59.999Z' })).toBe(true);
    expect(matches({ field: 'dueAt', lte: '2024-06-01T12:00:00Z' }, { dueAt: undefined })).toBe(false);
  });

  it('all, any and not nest', () => {
    const urgentPayments: Condition = {
      all: [
        { field: 'labels', contains: 'payments' },
        {
          any: [
            { field: 'priority', lte: 1 },
            { field: 'type', eq: 'bug' },
          ],
        },
      ],
    };
    expect(matches(urgentPayments)).toBe(true);
    expect(matches(urgentPayments, { type: 'question' })).toBe(false);
    expect(matches(urgentPayments, { type: 'question', priority: 1 })).toBe(true);
    expect(matches({ not: urgentPayments })).toBe(false);
    expect(matches({ not: { not: urgentPayments } })).toBe(true);
    expect(
      matches({ any: [{ field: 'component', eq: 'ui' }, { not: { field: 'customerTier', eq: 'enterprise' } }] }),
    ).toBe(true);
    expect(
      matches({ all: [{ field: 'component', eq: 'api' }, { not: { field: 'labels', contains: 'refunds' } }] }),
    ).toBe(false);
  });
});

describe('strategies and queues', () => {
  const direct = (assignee?: string): Route => ({
    name: 'direct',
    strategy: 'direct',
    ...(assignee ? { assignee } : {}),
  });

  it('direct assigns the route’s assignee, ignoring the task’s request', () => {
    const d = decide({ ...TASK, requestedAssignee: 'bob' }, snap(), compiled([direct('erin')]), NOW);
    expect(d).toMatchObject({ outcome: 'assigned', assignee: 'erin', route: 'direct', strategy: 'direct' });
    expect(d.candidates).toEqual([{ memberId: 'erin', score: 1 }]);
    expect(d.explanation).toContain('erin was named by the route');
  });

  it('direct without a route assignee assigns the task’s requestedAssignee, or matches but falls through', () => {
    const routes = [direct(), { name: 'rest', strategy: 'round_robin', members: ['carol'] } satisfies Route];
    const asked = decide({ ...TASK, requestedAssignee: 'bob' }, snap(), compiled(routes), NOW);
    expect(asked).toMatchObject({ assignee: 'bob', route: 'direct' });
    expect(asked.explanation).toContain('bob was requested by the task');
    const none = decide(TASK, snap(), compiled(routes), NOW);
    expect(none).toMatchObject({ assignee: 'carol', route: 'rest' });
    expect(none.routesTried).toEqual([
      {
        route: 'direct',
        matched: true,
        outcome: 'no_eligible_candidate',
        candidates: [],
        why: 'the task requested no assignee',
      },
      { route: 'rest', matched: true, outcome: 'assigned' },
    ]);
    const unknown = decide({ ...TASK, requestedAssignee: 'zed' }, snap(), compiled(routes), NOW);
    expect(unknown.route).toBe('rest');
    expect(unknown.explanation).toContain('zed (not a known member)');
  });

  it('a route with queueIfNoneEligible queues when its pool is full instead of trying the next route', () => {
    const full = snap({ load: { alice: 3, bob: 3 } });
    const next: Route = { name: 'next', strategy: 'least_loaded', teams: ['platform'] };
    const pay: Route = { name: 'pay', strategy: 'least_loaded', teams: ['payments'] };
    const queued = decide(TASK, full, compiled([{ ...pay, queueIfNoneEligible: 'payments-backlog' }, next]), NOW);
    expect(queued).toMatchObject({ outcome: 'queued', assignee: null, queue: 'payments-backlog', route: 'pay' });
    expect(queued.strategy).toBe('least_loaded');
    expect(queued.routesTried).toEqual([{ route: 'pay', matched: true, outcome: 'queued' }]);
    const fellThrough = decide(TASK, full, compiled([pay, next]), NOW);
    expect(fellThrough).toMatchObject({ outcome: 'assigned', assignee: 'carol', route: 'next' });
  });

  it('the fallback queue takes the task when no route assigns it', () => {
    const d = decide(
      TASK,
      snap(),
      compiled([{ ...direct('erin'), name: 'ui', when: { field: 'component', eq: 'ui' } }]),
      NOW,
    );
    expect(d).toEqual(
      expect.objectContaining({ outcome: 'queued', queue: 'triage', route: null, strategy: null, candidates: [] }),
    );
    expect(d.explanation).toMatch(/^No route assigned the task, so it waits in the fallback queue "triage"\./);
  });

  it('least_loaded breaks load ties by more free capacity, then by declared order', () => {
    const route: Route = { name: 'll', strategy: 'least_loaded', members: ['alice', 'bob', 'carol'] };
    // All at 1 open task: carol (capacity 4) has the most room.
    expect(decide(TASK, snap({ load: { alice: 1, bob: 1, carol: 1 } }), compiled([route]), NOW).assignee).toBe('carol');
    // alice and bob tie on load and room: the first declared wins.
    expect(decide(TASK, snap({ load: { carol: 2 } }), compiled([route]), NOW).assignee).toBe('alice');
    const d = decide(TASK, snap({ load: { alice: 2, bob: 1, carol: 3 } }), compiled([route]), NOW);
    expect(d.assignee).toBe('bob');
    expect(d.candidates).toEqual([
      { memberId: 'alice', score: -2 },
      { memberId: 'bob', score: -1 },
      { memberId: 'carol', score: -3 },
    ]);
  });

  it('round_robin picks the eligible member whose last turn on the route is oldest, never-assigned first, ties in declared order', () => {
    const routes: Route[] = [{ name: 'rr', strategy: 'round_robin', teams: ['payments', 'platform'] }];
    const next = (turns: Record<string, number> | undefined, over: Partial<Snapshot> = {}) =>
      decide(TASK, snap({ ...(turns ? { turns: { rr: turns } } : {}), ...over }), compiled(routes), NOW).assignee;
    expect(next(undefined)).toBe('alice');
    expect(next({ alice: 1 })).toBe('bob');
    expect(next({ alice: 1, bob: 2, carol: 3, dave: 4 })).toBe('alice'); // wraps: plain rotation in declared order
    expect(next({ alice: 5, bob: 2, carol: 3, dave: 4 }, { away: { bob: true }, load: { carol: 4 } })).toBe('dave');
    // bob was away while the others took turns 2..4: back, he is first, ahead of the rotation.
    expect(next({ alice: 5, bob: 1, carol: 3, dave: 4 })).toBe('bob');
    // Turns of members no longer in the pool, and of other routes, change nothing.
    expect(next({ erin: 0 })).toBe('alice');
    expect(decide(TASK, snap({ turns: { other: { alice: 9 } } }), compiled(routes), NOW).assignee).toBe('alice');
  });

  it('round_robin ignores the legacy cursor', () => {
    const routes: Route[] = [{ name: 'rr', strategy: 'round_robin', teams: ['payments'] }];
    const d = decide(TASK, snap({ cursors: { rr: 'alice' }, turns: { rr: { bob: 1 } } }), compiled(routes), NOW);
    expect(d.assignee).toBe('alice');
    expect(d.candidates).toEqual([
      { memberId: 'alice', score: 1 },
      { memberId: 'bob', score: -1 },
    ]);
    expect(d.explanation).toContain('alice had not had a turn on this route yet');
    const again = decide(TASK, snap({ turns: { rr: { alice: 2, bob: 1 } } }), compiled(routes), NOW);
    expect(again.explanation).toContain('bob had waited longest for a turn');
  });

  it('a member both away and at capacity is excluded as away', () => {
    const d = decide(
      TASK,
      snap({ away: { alice: true }, load: { alice: 3 } }),
      compiled([{ ...direct('alice'), queueIfNoneEligible: 'q' }]),
      NOW,
    );
    expect(d.candidates).toEqual([{ memberId: 'alice', excluded: { code: 'away' } }]);
    expect(d.explanation).toContain('Excluded: alice (away).');
  });
});

describe('the explanation', () => {
  const policy = compiled([
    { name: 'enterprise', when: { field: 'customerTier', eq: 'enterprise' }, strategy: 'direct', assignee: 'erin' },
    { name: 'platform', when: { field: 'component', in: ['database'] }, strategy: 'round_robin', teams: ['platform'] },
    {
      name: 'payments',
      when: {
        all: [
          { field: 'labels', contains: 'payments' },
          { field: 'priority', lte: 2 },
        ],
      },
      strategy: 'least_loaded',
      members: ['alice', 'bob', 'carol'],
    },
  ]);

  it('names the assignee, route, strategy, condition, excluded members and unmatched routes', () => {
    const d = decide(TASK, snap({ load: { alice: 3, bob: 1 }, away: { carol: true } }), policy, NOW);
    expect(d).toMatchObject({ outcome: 'assigned', assignee: 'bob', route: 'payments', policyVersion: VERSION });
    expect(d.explanation).toBe(
      'Assigned to Bob Okafor (bob) by route "payments" (least_loaded) because the task matched ' +
        'labels contains "payments" and priority ≤ 2: bob had the fewest open tasks (1) among 1 eligible. ' +
        'Excluded: alice (at capacity 3/3), carol (away). ' +
        'Routes not matched: "enterprise", "platform". ' +
        `Policy ${VERSION}.`,
    );
  });

  it('for a full route that falls through, says who was excluded there', () => {
    const d = decide(
      { ...TASK, customerTier: 'enterprise' },
      snap({ load: { erin: 5, alice: 1, carol: 2 } }),
      policy,
      NOW,
    );
    expect(d.assignee).toBe('bob');
    expect(d.explanation).toContain('Route "enterprise" matched but nobody was eligible: erin (at capacity 5/5).');
    expect(d.explanation).toContain('Routes not matched: "platform".');
  });

  it('for a queued task, names the queue and the route that queued it', () => {
    const d = decide(
      TASK,
      snap({ away: { alice: true, bob: true, carol: true } }),
      compiled([{ name: 'pay', strategy: 'round_robin', teams: ['payments'], queueIfNoneEligible: 'backlog' }]),
      NOW,
    );
    expect(d.explanation).toBe(
      'Queued in "backlog" by route "pay": it is a catch-all route but nobody was eligible. ' +
        `Excluded: alice (away), bob (away). Policy ${VERSION}.`,
    );
  });
});

describe('purity', () => {
  function deepFreeze<T>(value: T): T {
    if (value instanceof Map) {
      for (const v of value.values()) deepFreeze(v);
    } else if (value !== null && typeof value === 'object') {
      for (const v of Object.values(value)) deepFreeze(v);
    }
    return Object.isFrozen(value) ? value : Object.freeze(value);
  }

  it('does not mutate the task, snapshot or compiled policy, and copies policyVersion', () => {
    const roster: Roster = {
      members: new Map([...ROSTER.members].map(([k, m]) => [k, { ...m, skills: { ...m.skills }, leave: [] }])),
      teams: new Map([...ROSTER.teams].map(([k, t]) => [k, { ...t, members: [...t.members] }])),
    };
    const policy = compiled(
      [
        { name: 'enterprise', when: { field: 'customerTier', eq: 'enterprise' }, strategy: 'direct', assignee: 'erin' },
        { name: 'pay', when: { field: 'labels', contains: 'payments' }, strategy: 'round_robin', teams: ['payments'] },
        { name: 'll', strategy: 'least_loaded', teams: ['platform'] },
      ],
      roster,
    );
    const snapshot = snap({ load: { alice: 3, bob: 1 }, away: { carol: true }, turns: { pay: { bob: 1 } } });
    const task: Task = { ...TASK, labels: [...(TASK.labels ?? [])] };
    const before = JSON.stringify({ task, snapshot, policy: policy.policy, teams: [...roster.teams] });
    deepFreeze(task);
    deepFreeze(snapshot);
    deepFreeze(policy);
    const d = decide(task, snapshot, policy, NOW);
    expect(d).toMatchObject({ assignee: 'bob', route: 'pay', policyVersion: VERSION });
    expect(JSON.stringify({ task, snapshot, policy: policy.policy, teams: [...roster.teams] })).toBe(before);
    expect(decide({ ...task, labels: [] }, snapshot, policy, NOW).assignee).toBe('dave');
  });
});
