/**
 * Properties of decide() over generated worlds using every strategy and route modifier: rosters
 * with skills and per-type capacities, snapshots with leave, working hours, business hours, on-call
 * layers and related tasks. Eligibility is checked against a reference written here from the spec.
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
  type Snapshot,
  type StrategyName,
  type Task,
  type Team,
} from '../../src/core/index.js';
import { member } from '../support/roster.js';

const NOW = new Date('2026-03-05T12:00:00Z');
const SKILLS = ['payments', 'kafka', 'postgres'];
const TEAMS = ['t0', 't1'];
const RELATED = ['T-1', 'T-2', 'T-3', 'T-4'];
const STRATEGIES: StrategyName[] = ['direct', 'round_robin', 'least_loaded', 'skills', 'on_call', 'sticky'];
const CONDITIONS: Condition[] = [
  { field: 'type', eq: 'incident' },
  { not: { field: 'priority', lte: 2 } },
  { clock: { team: 't0', weekdays: ['sat', 'sun'] } },
  { clock: { team: 't1', between: ['22:00', '06:00'] } },
];

interface World {
  roster: Roster;
  policy: Policy;
  compiled: CompiledPolicy;
  snapshot: Snapshot;
  task: Task;
}

const level = fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined });
/** Each member flagged with probability 1/5. */
const flags = (ids: string[]) =>
  fc
    .array(fc.nat(4), { minLength: ids.length, maxLength: ids.length })
    .map((xs) => Object.fromEntries(ids.flatMap((id, i) => (xs[i] === 0 ? [[id, true]] : []))));
const defined = <T>(o: Record<string, T | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, T>;

const memberArb = (id: string): fc.Arbitrary<Member> =>
  fc
    .record({
      capacity: fc.integer({ min: 0, max: 4 }),
      incidentCap: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      skills: fc.tuple(level, level, level),
    })
    .map(
      ({ capacity, incidentCap, skills }): Member =>
        member(id, {
          name: `Member ${id}`,
          capacity,
          capacityByType: defined({ incident: incidentCap }),
          skills: defined(Object.fromEntries(SKILLS.map((s, i) => [s, skills[i]]))),
        }),
    );

/** Absent half of the time (fc.option's default is absent one time in five). */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const routeArb = (ids: string[]): fc.Arbitrary<Omit<Route, 'name'>> =>
  fc
    .record({
      strategy: fc.constantFrom(...STRATEGIES),
      when: maybe(fc.constantFrom(...CONDITIONS)),
      teams: fc.shuffledSubarray(TEAMS),
      members: fc.shuffledSubarray([...ids, 'ghost'], { maxLength: Math.min(4, ids.length + 1) }),
      assignee: maybe(fc.constantFrom(...ids, 'ghost')),
      skills: fc.record({
        required: fc.subarray(SKILLS, { maxLength: 2 }),
        preferred: fc.subarray(SKILLS),
        minLevel: fc.integer({ min: 1, max: 5 }),
        weights: fc.record({ level: fc.nat(4), preferred: fc.nat(4), load: fc.nat(4) }).map((w) => ({
          level: w.level / 2,
          preferred: w.preferred / 2,
          load: w.load / 2,
        })),
      }),
      during: maybe(fc.constantFrom('business_hours' as const, 'outside_business_hours' as const)),
      requireSkills: maybe(fc.subarray(SKILLS, { minLength: 1, maxLength: 2 })),
      excludeOffHours: maybe(fc.boolean()),
      ignoreCapacity: maybe(fc.boolean()),
      boost: maybe(fc.integer({ min: 1, max: 4 })),
      queueIfNoneEligible: maybe(fc.constantFrom('q-a', 'q-b')),
      escalateTo: maybe(fc.constantFrom(...ids)),
    })
    .map(({ strategy, teams, members, assignee, skills, ...modifiers }) => {
      const route: Omit<Route, 'name'> = { strategy, ...defined(modifiers) };
      if (strategy === 'direct') return { ...route, ...(assignee ? { assignee } : {}) };
      if (strategy === 'on_call') return { ...route, teams: teams.length ? teams : ['t0'] };
      const pool = { teams, members: teams.length || members.length ? members : [ids[0]!] };
      return strategy === 'skills' ? { ...route, ...pool, skills } : { ...route, ...pool };
    });

const onCallArb = (ids: string[]) =>
  fc
    .array(
      fc.record({
        member: fc.constantFrom(...ids, 'ghost'),
        covering: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      }),
      { maxLength: 3 },
    )
    .map((es) => es.map((e, i) => ({ layer: `L${i}`, ...defined(e) })) as { layer: string; member: string }[]);

const world: fc.Arbitrary<World> = fc.integer({ min: 1, max: 6 }).chain((n) => {
  const ids = Array.from({ length: n }, (_, i) => `m${i}`);
  const counts = (max: number) =>
    fc
      .array(fc.nat(max), { minLength: n, maxLength: n })
      .map((xs) => defined(Object.fromEntries(ids.map((id, i) => [id, xs[i] || undefined]))));
  return fc
    .record({
      members: fc.tuple(...ids.map(memberArb)),
      teams: fc.tuple(
        ...TEAMS.map(() =>
          fc.record({
            members: fc.shuffledSubarray(ids, { minLength: 1 }),
            escalation: fc.option(fc.constantFrom(...ids), { nil: undefined }),
          }),
        ),
      ),
      routes: fc.array(routeArb(ids), { minLength: 1, maxLength: 4 }),
      load: counts(5),
      incidentLoad: counts(3),
      away: flags(ids),
      onLeave: flags(ids),
      offHours: flags(ids),
      teamOpen: fc.record({ t0: fc.boolean(), t1: fc.boolean() }, { requiredKeys: [] }),
      onCall: fc.record({ t0: onCallArb(ids), t1: onCallArb(ids) }, { requiredKeys: [] }),
      turns: fc.array(counts(9), { minLength: 4, maxLength: 4 }),
      related: fc.array(fc.option(fc.constantFrom(...ids, 'ghost'), { nil: undefined }), {
        minLength: 4,
        maxLength: 4,
      }),
      clock: fc.tuple(fc.constantFrom('mon' as const, 'sat' as const), fc.integer({ min: 0, max: 1439 })),
      task: fc.record(
        {
          type: fc.constantFrom('bug', 'incident'),
          priority: fc.integer({ min: 1, max: 5 }),
          requestedAssignee: fc.constantFrom(...ids, 'ghost'),
          relatedTo: fc.shuffledSubarray(RELATED),
        },
        { requiredKeys: [] },
      ),
    })
    .map((g): World => {
      const roster: Roster = {
        members: new Map(g.members.map((m) => [m.id, m])),
        teams: new Map<string, Team>(
          g.teams.map((t, i) => {
            const id = TEAMS[i]!;
            return [
              id,
              { id, name: id, timezone: 'UTC', members: t.members, ...defined({ escalation: t.escalation }) },
            ];
          }),
        ),
      };
      const policy: Policy = {
        version: 'pv_rich',
        fallbackQueue: 'triage',
        routes: g.routes.map((r, i) => ({ ...r, name: `r${i}` })),
      };
      const clock = { weekday: g.clock[0], minutes: g.clock[1], date: '2026-03-07' };
      const snapshot: Snapshot = {
        load: g.load,
        loadByType: Object.fromEntries(Object.entries(g.incidentLoad).map(([id, k]) => [id, { incident: k }])),
        away: g.away,
        onLeave: g.onLeave,
        offHours: g.offHours,
        teamOpen: g.teamOpen,
        onCall: g.onCall,
        turns: Object.fromEntries(g.turns.map((t, i) => [`r${i}`, t])),
        related: defined(Object.fromEntries(RELATED.map((x, i) => [x, g.related[i]]))),
        clocks: { t0: clock, t1: clock },
      };
      const task: Task = { externalId: 'T-9', title: 'generated', ...g.task };
      return { roster, policy, compiled: compilePolicy(policy, roster), snapshot, task };
    });
});

// ---------- reference, from the spec ----------

const ignoresCapacity = (r: Route) => r.ignoreCapacity ?? r.strategy === 'on_call';

/** Why `id` may not take the task through `route`, in the documented order of precedence; undefined = eligible. */
function refExclusion(id: string, route: Route, w: World): string | undefined {
  const m = w.roster.members.get(id);
  const s = w.snapshot;
  if (!m) return 'unknown_member';
  if (s.away[id]) return 'away';
  if (s.onLeave?.[id]) return 'on_leave';
  if (route.excludeOffHours && s.offHours?.[id]) return 'off_hours';
  if ((route.requireSkills ?? []).some((k) => m.skills[k] === undefined)) return 'missing_skill';
  if (route.skills?.required.some((k) => (m.skills[k] ?? 0) < route.skills!.minLevel)) return 'missing_skill';
  if (ignoresCapacity(route)) return undefined;
  const type = w.task.type;
  const typeCap = type === undefined ? undefined : m.capacityByType[type];
  if ((s.load[id] ?? 0) >= m.capacity) return 'at_capacity';
  if (typeCap !== undefined && (s.loadByType?.[id]?.[type!] ?? 0) >= typeCap) return 'at_capacity';
  return undefined;
}

/** Whom the route's strategy may pick, before eligibility. */
function refSource(route: Route, w: World): string[] {
  const { roster, snapshot, task } = w;
  switch (route.strategy) {
    case 'direct': {
      const target = route.assignee ?? task.requestedAssignee;
      return target ? [target] : [];
    }
    case 'on_call': {
      const team = roster.teams.get(route.teams![0]!)!;
      const onCall = (snapshot.onCall?.[team.id] ?? []).map((e) => e.member);
      return [...new Set([...onCall, ...(team.escalation ? [team.escalation] : [])])];
    }
    case 'sticky':
      return [...new Set((task.relatedTo ?? []).flatMap((x) => snapshot.related?.[x] ?? []))];
    default:
      return [
        ...new Set([...(route.teams ?? []).flatMap((t) => roster.teams.get(t)!.members), ...(route.members ?? [])]),
      ];
  }
}

const routeOf = (w: World, d: Decision) => w.policy.routes.find((r) => r.name === d.route)!;

// ---------- helpers for purity and determinism ----------

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    // A frozen Map can still be written through its methods: make them throw.
    for (const method of ['set', 'delete', 'clear'] as const) {
      Object.defineProperty(value, method, {
        value: () => {
          throw new TypeError(`decide() tried to ${method} a roster map`);
        },
      });
    }
  } else for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/** The same value with the keys of every plain object in another insertion order. */
function reorderKeys<T>(value: T, seed: number): T {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, seed)) as T;
  if (value === null || typeof value !== 'object') return value;
  const weight = (k: string) => ([...k].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 10007, seed + 7) * 7919) % 10007;
  const keys = Object.keys(value).sort((a, b) => weight(a) - weight(b) || (a < b ? 1 : -1));
  return Object.fromEntries(keys.map((k) => [k, reorderKeys((value as Record<string, unknown>)[k], seed)])) as T;
}

// ---------- properties ----------

describe('decide() over every strategy and modifier', () => {
  it('never assigns an excluded member, unless escalated; an escalation target is never away or on leave', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        if (d.outcome !== 'assigned') return;
        const route = routeOf(w, d);
        const a = d.assignee!;
        if (d.escalated) {
          const teamEscalation =
            route.strategy === 'on_call' ? w.roster.teams.get(route.teams![0]!)?.escalation : undefined;
          expect([route.escalateTo, teamEscalation]).toContain(a);
          expect(w.snapshot.away[a] ?? false).toBe(false);
          expect(w.snapshot.onLeave?.[a] ?? false).toBe(false);
          if (a === route.escalateTo && a !== teamEscalation) {
            expect(refSource(route, w).filter((id) => refExclusion(id, route, w) === undefined)).toEqual([]);
          }
          return;
        }
        expect(refSource(route, w)).toContain(a);
        expect(refExclusion(a, route, w)).toBeUndefined();
      }),
      { numRuns: 1500 },
    );
  });

  it('scores exactly the eligible candidates and names the first reason for the others', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        const traces = [
          ...(d.route ? [{ route: routeOf(w, d), candidates: d.candidates }] : []),
          ...d.routesTried
            .filter((t) => t.outcome === 'no_eligible_candidate')
            .map((t) => ({ route: w.policy.routes.find((r) => r.name === t.route)!, candidates: t.candidates ?? [] })),
        ];
        for (const { route, candidates } of traces) {
          expect(candidates.map((c) => c.memberId).sort()).toEqual(refSource(route, w).sort());
          for (const c of candidates) {
            expect((c.score === undefined) !== (c.excluded === undefined)).toBe(true);
            expect(c.excluded?.code).toBe(refExclusion(c.memberId, route, w));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('only a queued decision carries a boost: the largest of the routes it matched', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w.task, w.snapshot, w.compiled, NOW);
        if (d.outcome === 'assigned') {
          expect(d).not.toHaveProperty('boost');
          return;
        }
        const matched = d.routesTried
          .filter((t) => t.matched)
          .map((t) => w.policy.routes.find((r) => r.name === t.route)!);
        const boost = Math.max(0, ...matched.map((r) => r.boost ?? 0));
        expect(d.boost).toBe(boost > 0 ? boost : undefined);
        expect(d.escalated).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: the same inputs, and the same inputs with every key reordered, give deep-equal decisions', () => {
    fc.assert(
      fc.property(world, fc.nat(1000), (w, seed) => {
        const first = decide(w.task, w.snapshot, w.compiled, NOW);
        expect(decide(w.task, w.snapshot, w.compiled, NOW)).toStrictEqual(first);
        const reordered = decide(reorderKeys(w.task, seed), reorderKeys(w.snapshot, seed), w.compiled, new Date(NOW));
        expect(reordered).toStrictEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('does not mutate the task, snapshot, compiled policy or roster (all deep-frozen)', () => {
    fc.assert(
      fc.property(world, (w) => {
        const dump = () =>
          JSON.stringify([w.task, w.snapshot, w.policy, w.roster], (_, v) => (v instanceof Map ? [...v] : v));
        const before = dump();
        const unfrozen = decide(w.task, w.snapshot, w.compiled, NOW);
        deepFreeze(w.task);
        deepFreeze(w.snapshot);
        deepFreeze(w.compiled);
        expect(decide(w.task, w.snapshot, w.compiled, NOW)).toStrictEqual(unfrozen);
        expect(dump()).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});
