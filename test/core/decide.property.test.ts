/**
 * Properties of decide() over generated rosters, policies, snapshots and tasks. Conditions are
 * checked against an independent reference evaluator written here, not against conditions.ts.
 * (Strategies and modifiers added later have their own properties in decide.*.property.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CompiledPolicy,
  type Condition,
  compilePolicy,
  type Decision,
  decide,
  type Member,
  type Policy,
  type Roster,
  type Route,
  type Scalar,
  type Snapshot,
  type StrategyName,
  type Task,
  type Team,
} from '../../src/core/index.js';
import type { Weekday } from '../../src/core/schedule/index.js';
import { member } from '../support/roster.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const LABELS = ['payments', 'infra', 'ui', 'p1'];
const TIMES = [
  '2024-05-31T23:30:00-01:00',
  '2024-06-01T00:00:00Z',
  '2024-06-01T02:00:00+02:00',
  '2024-06-02T09:15:00Z',
];
const REGEXES = ['^a', 'e$', '.+', 'pay|inf', '^[0-9]+$'];
const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const HHMM = ['00:00', '06:00', '09:00', '17:00', '22:00', '23:59'];

// ---------- generators ----------

interface World {
  roster: Roster;
  policy: Policy;
  compiled: CompiledPolicy;
  snapshot: Snapshot;
  task: Task;
}

const memberIds = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

const fieldCondition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ field: fc.constant('labels' as const), eq: fc.constantFrom(...LABELS) }),
  fc.record({ field: fc.constant('labels' as const), contains: fc.constantFrom(...LABELS) }),
  fc.record({ field: fc.constant('labels' as const), in: fc.subarray(LABELS, { minLength: 1 }) }),
  fc.record({ field: fc.constant('labels' as const), matches: fc.constantFrom(...REGEXES) }),
  fc.record({ field: fc.constant('component' as const), in: fc.subarray(['api', 'database', 'ui'], { minLength: 1 }) }),
  fc.record({ field: fc.constant('component' as const), contains: fc.constantFrom('a', 'base', 'x') }),
  fc.record({ field: fc.constant('title' as const), matches: fc.constantFrom(...REGEXES) }),
  fc.record({ field: fc.constant('type' as const), eq: fc.constantFrom('bug', 'incident', 1, true) }),
  fc.record({ field: fc.constant('priority' as const), eq: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ field: fc.constant('priority' as const), gte: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ field: fc.constant('priority' as const), lte: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ field: fc.constant('priority' as const), lte: fc.constantFrom('3') }),
  fc.record({ field: fc.constant('dueAt' as const), gte: fc.constantFrom(...TIMES) }),
  fc.record({ field: fc.constant('dueAt' as const), lte: fc.constantFrom(...TIMES) }),
  fc.record({ field: fc.constant('requestedAssignee' as const), matches: fc.constant('.+') }),
  fc.record({ field: fc.constant('customerTier' as const), eq: fc.constantFrom('enterprise', 'free') }),
  fc.record({
    clock: fc.record(
      {
        team: fc.constantFrom('t0', 't1', 't2'),
        weekdays: fc.subarray(WEEKDAYS, { minLength: 1 }),
        between: fc.tuple(fc.constantFrom(...HHMM), fc.constantFrom(...HHMM)),
      },
      { requiredKeys: ['team'] },
    ),
  }),
);

const condition: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fieldCondition,
    fc.record({ all: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('c') }),
  ),
})).c;

const taskArb = (ids: string[]): fc.Arbitrary<Task> =>
  fc.record(
    {
      externalId: fc.constantFrom('T-1', 'T-2'),
      title: fc.constantFrom('payment failed', 'infra alert', '42', 'a note'),
      type: fc.constantFrom('bug', 'incident'),
      priority: fc.integer({ min: 1, max: 5 }),
      labels: fc.subarray(LABELS),
      component: fc.constantFrom('api', 'database', 'ui'),
      customerTier: fc.constantFrom('enterprise', 'free'),
      requestedAssignee: fc.constantFrom(...ids, 'ghost'),
      dueAt: fc.constantFrom(...TIMES),
    },
    { requiredKeys: ['externalId', 'title'] },
  );

const world: fc.Arbitrary<World> = fc.integer({ min: 1, max: 8 }).chain((n) => {
  const ids = memberIds(n);
  const teamIds = ['t0', 't1', 't2'];
  const routeArb = fc
    .record({
      when: fc.option(condition, { nil: undefined }),
      strategy: fc.constantFrom<StrategyName>('direct', 'round_robin', 'least_loaded'),
      teams: fc.subarray(teamIds),
      members: fc.shuffledSubarray(ids),
      fallbackMember: fc.constantFrom(...ids),
      assignee: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      queue: fc.option(fc.constantFrom('q-a', 'q-b'), { nil: undefined }),
    })
    .map(({ when, strategy, teams, members, fallbackMember, assignee, queue }): Omit<Route, 'name'> => {
      const base = { when, strategy, queueIfNoneEligible: queue };
      if (strategy === 'direct') return { ...base, assignee };
      // Non-direct routes need candidates, as the config loader insists.
      return { ...base, teams, members: teams.length || members.length ? members : [fallbackMember] };
    });
  return fc
    .record({
      capacities: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
      loads: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }),
      away: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      teams: fc.array(fc.shuffledSubarray(ids, { minLength: 1 }), { minLength: 3, maxLength: 3 }),
      routes: fc.array(routeArb, { minLength: 1, maxLength: 5 }),
      // Per route: each member's last round-robin turn (or never), plus a member no longer in the roster.
      turns: fc.array(
        fc.array(fc.option(fc.nat({ max: 9 }), { nil: undefined }), { minLength: n + 1, maxLength: n + 1 }),
        {
          minLength: 5,
          maxLength: 5,
        },
      ),
      // Per team: local weekday and minute of day, or no clock.
      clocks: fc.array(
        fc.option(fc.tuple(fc.constantFrom(...WEEKDAYS), fc.integer({ min: 0, max: 1439 })), { nil: undefined }),
        { minLength: 3, maxLength: 3 },
      ),
      task: taskArb(ids),
    })
    .map(({ capacities, loads, away, teams, routes, turns, clocks, task }): World => {
      const members = new Map<string, Member>(
        ids.map((id, i) => [id, member(id, { name: `Member ${id}`, capacity: capacities[i]! })]),
      );
      const teamMap = new Map<string, Team>(
        teams.map((m, i) => [`t${i}`, { id: `t${i}`, name: `T${i}`, members: m, timezone: 'UTC' }]),
      );
      const roster: Roster = { members, teams: teamMap };
      const policy: Policy = {
        version: 'pv_test',
        fallbackQueue: 'triage',
        routes: routes.map((r, i) => ({ ...r, name: `r${i}` })),
      };
      const snapshot: Snapshot = { load: {}, away: {}, turns: {}, clocks: {} };
      ids.forEach((id, i) => {
        if (loads[i]) snapshot.load[id] = loads[i]!;
        if (away[i]) snapshot.away[id] = true;
      });
      turns.slice(0, routes.length).forEach((perMember, r) => {
        const entries = [...ids, 'gone'].flatMap((id, i) => (perMember[i] === undefined ? [] : [[id, perMember[i]!]]));
        if (entries.length) snapshot.turns![`r${r}`] = Object.fromEntries(entries);
      });
      clocks.forEach((c, i) => {
        if (c) snapshot.clocks![`t${i}`] = { weekday: c[0], minutes: c[1], date: '2024-06-01' };
      });
      return { roster, policy, compiled: compilePolicy(policy, roster), snapshot, task };
    });
});

// ---------- reference model ----------

function refMatches(c: Condition | undefined, task: Task, snapshot: Snapshot): boolean {
  if (c === undefined) return true;
  if ('all' in c) return c.all.every((x) => refMatches(x, task, snapshot));
  if ('any' in c) return c.any.some((x) => refMatches(x, task, snapshot));
  if ('not' in c) return !refMatches(c.not, task, snapshot);
  if ('clock' in c) {
    const clock = snapshot.clocks?.[c.clock.team];
    if (!clock || (c.clock.weekdays && !c.clock.weekdays.includes(clock.weekday))) return false;
    if (!c.clock.between) return true;
    // [from, to) on a 24-hour dial; to ≤ from means the window runs past midnight.
    const [from, to] = c.clock.between.map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));
    const sinceFrom = (clock.minutes - from! + 1440) % 1440;
    const length = (to! - from! + 1440) % 1440 || 1440;
    return sinceFrom < length;
  }
  const v = task[c.field] as Scalar | Scalar[] | undefined;
  if (v === undefined) return false;
  const values: Scalar[] = Array.isArray(v) ? v : [v];
  if ('eq' in c) return values.includes(c.eq);
  if ('in' in c) return values.some((x) => c.in.includes(x));
  if ('contains' in c) {
    return Array.isArray(v) ? v.includes(c.contains) : typeof v === 'string' && v.includes(String(c.contains));
  }
  if ('matches' in c) return values.some((x) => typeof x === 'string' && new RegExp(c.matches).test(x));
  const [bound, sign] = 'gte' in c ? [c.gte, 1] : [c.lte, -1];
  if (typeof bound === 'number') return typeof v === 'number' && sign * (v - bound) >= 0;
  if (typeof v !== 'string') return false;
  // Every string bound/value generated here is either an RFC 3339 time or not comparable.
  return sign * (new Date(v).getTime() - new Date(bound).getTime()) >= 0;
}

function refPool(route: Route, roster: Roster, task: Task): string[] {
  if (route.strategy === 'direct') {
    const target = route.assignee ?? task.requestedAssignee;
    return target ? [target] : [];
  }
  const ids = [...(route.teams ?? []).flatMap((t) => roster.teams.get(t)?.members ?? []), ...(route.members ?? [])];
  return [...new Set(ids)];
}

function refEligible(id: string, w: World): boolean {
  const m = w.roster.members.get(id);
  return m !== undefined && !w.snapshot.away[id] && (w.snapshot.load[id] ?? 0) < m.capacity;
}

function refOutcome(w: World): { route: string | null; outcome: 'assigned' | 'queued'; queue: string | null } {
  for (const route of w.policy.routes) {
    if (!refMatches(route.when, w.task, w.snapshot)) continue;
    if (refPool(route, w.roster, w.task).some((id) => refEligible(id, w))) {
      return { route: route.name, outcome: 'assigned', queue: null };
    }
    if (route.queueIfNoneEligible) return { route: route.name, outcome: 'queued', queue: route.queueIfNoneEligible };
  }
  return { route: null, outcome: 'queued', queue: w.policy.fallbackQueue };
}

const routeOf = (w: World, d: Decision) => w.policy.routes.find((r) => r.name === d.route);

/** The same entries in another insertion order, picked by `order`. */
function shuffledKeys<T extends object>(obj: T, order: number[]): T {
  const hash = (k: string) => [...k].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 7);
  const weight = (k: string) => (hash(k) * ((order[0] ?? 0) + 1) + (order[hash(k) % order.length] ?? 0)) % 1009;
  const keys = Object.keys(obj).sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((k) => [k, (obj as Record<string, unknown>)[k]])) as T;
}

// ---------- properties ----------

describe('decide() properties', () => {
  it('never assigns to a member who is at capacity, away, or outside the deciding route’s pool', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        if (d.outcome !== 'assigned') return;
        const assignee = d.assignee!;
        const member = w.roster.members.get(assignee);
        expect(member).toBeDefined();
        expect(w.snapshot.away[assignee] ?? false).toBe(false);
        expect(w.snapshot.load[assignee] ?? 0).toBeLessThan(member!.capacity);
        expect(refPool(routeOf(w, d)!, w.roster, w.task)).toContain(assignee);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: same inputs, and the snapshot with shuffled keys, give a deep-equal decision', () => {
    fc.assert(
      fc.property(world, fc.array(fc.nat(), { minLength: 7, maxLength: 7 }), (w, order) => {
        const first = decide(w.task, w.snapshot, w.compiled, NOW);
        expect(decide(w.task, w.snapshot, w.compiled, NOW)).toEqual(first);
        const turns = Object.entries(w.snapshot.turns ?? {}).map(([r, t]) => [r, shuffledKeys(t, order)]);
        const shuffled: Snapshot = {
          clocks: shuffledKeys(w.snapshot.clocks ?? {}, order),
          turns: shuffledKeys(Object.fromEntries(turns), order),
          away: shuffledKeys(w.snapshot.away, order),
          load: shuffledKeys(w.snapshot.load, order),
        };
        const task = shuffledKeys(w.task, order);
        expect(decide(task, shuffled, w.compiled, NOW)).toStrictEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('decides on the first route whose condition matches and has an eligible candidate or a queue', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        const want = refOutcome(w);
        expect({ route: d.route, outcome: d.outcome, queue: d.queue }).toEqual(want);
        expect(d.strategy).toBe(want.route === null ? null : routeOf(w, d)!.strategy);
        // routesTried records every route up to the deciding one, with its match result.
        const upTo = want.route === null ? w.policy.routes.length : Number(want.route.slice(1)) + 1;
        expect(d.routesTried.map((t) => [t.route, t.matched])).toEqual(
          w.policy.routes.slice(0, upTo).map((r) => [r.name, refMatches(r.when, w.task, w.snapshot)]),
        );
        expect(d.policyVersion).toBe('pv_test');
      }),
      { numRuns: 1000 },
    );
  });

  it('every candidate has a score or the right exclusion reason, and the assignee is a scored candidate', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        for (const c of d.candidates) {
          expect((c.score === undefined) !== (c.excluded === undefined)).toBe(true);
          const member = w.roster.members.get(c.memberId);
          const load = w.snapshot.load[c.memberId] ?? 0;
          if (c.score !== undefined) expect(refEligible(c.memberId, w)).toBe(true);
          else if (!member) expect(c.excluded).toEqual({ code: 'unknown_member' });
          else if (w.snapshot.away[c.memberId]) expect(c.excluded).toEqual({ code: 'away' });
          else expect(c.excluded).toEqual({ code: 'at_capacity', load, capacity: member.capacity });
        }
        if (d.route !== null) {
          const pool = refPool(routeOf(w, d)!, w.roster, w.task);
          expect(d.candidates.map((c) => c.memberId).sort()).toEqual([...pool].sort());
        }
        if (d.assignee !== null) {
          expect(d.candidates.find((c) => c.memberId === d.assignee)?.score).toBeTypeOf('number');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('least_loaded picks an eligible member with the minimum load', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        if (d.outcome !== 'assigned' || d.strategy !== 'least_loaded') return;
        const eligible = refPool(routeOf(w, d)!, w.roster, w.task).filter((id) => refEligible(id, w));
        const min = Math.min(...eligible.map((id) => w.snapshot.load[id] ?? 0));
        expect(w.snapshot.load[d.assignee!] ?? 0).toBe(min);
      }),
      { numRuns: 1000 },
    );
  });

  it('round_robin spreads N·k tasks over k eligible members exactly N each when assignments are committed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        // Turns already taken before the run (any order, ties and gaps included), per member.
        fc.array(fc.option(fc.nat({ max: 10 }), { nil: undefined }), { minLength: 11, maxLength: 11 }),
        (n, k, awayCount, viaTeam, startTurns) => {
          const ids = memberIds(k + awayCount);
          const members = new Map<string, Member>(ids.map((id) => [id, member(id, { name: id, capacity: 1000 })]));
          // Away members are interleaved into the declared order and must be skipped.
          const pool = ids.slice().sort((a, b) => (Number(a.slice(1)) % 3) - (Number(b.slice(1)) % 3));
          const team: Team = { id: 't', name: 'T', members: pool, timezone: 'UTC' };
          const roster: Roster = { members, teams: new Map([['t', team]]) };
          const route: Route = {
            name: 'rr',
            strategy: 'round_robin',
            ...(viaTeam ? { teams: ['t'] } : { members: pool }),
          };
          const compiled = compilePolicy({ version: 'pv', fallbackQueue: 'triage', routes: [route] }, roster);
          const turns: Record<string, number> = {};
          ids.forEach((id, i) => {
            if (startTurns[i] !== undefined) turns[id] = startTurns[i]!;
          });
          const snapshot: Snapshot = { load: {}, away: {}, turns: { rr: turns } };
          for (const id of ids.slice(k)) snapshot.away[id] = true;
          // Committing a round-robin decision takes the route's next turn number.
          let turn = Math.max(0, ...Object.values(turns));
          const counts = new Map<string, number>();
          for (let i = 0; i < n * k; i++) {
            const d = decide({ externalId: `T-${i}`, title: 't' }, snapshot, compiled, NOW);
            expect(d.outcome).toBe('assigned');
            const a = d.assignee!;
            counts.set(a, (counts.get(a) ?? 0) + 1);
            turns[a] = ++turn;
            snapshot.load[a] = (snapshot.load[a] ?? 0) + 1;
          }
          expect([...counts.keys()].sort()).toEqual(ids.slice(0, k).sort());
          for (const c of counts.values()) expect(c).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
