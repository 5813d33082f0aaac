/**
 * Round-robin fairness over long simulated runs. Each assignment is committed the way the store
 * does it: snapshot.turns[route][assignee] = ++turn and load + 1. Members go away and come back,
 * finish tasks, fill up, join and leave the route; the test keeps its own model of who is eligible
 * and when each member last had a turn, and checks decide() against it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, decide, type Roster, type Route, type Snapshot } from '../../src/core/index.js';
import { member, rosterOf } from '../support/roster.js';

const NOW = new Date('2026-03-05T12:00:00Z');
const TASK = { externalId: 'T-1', title: 'next' };

type Op =
  | { kind: 'assign' }
  | { kind: 'toggleAway'; who: number }
  | { kind: 'finish'; who: number }
  | { kind: 'join'; who: number }
  | { kind: 'leave'; who: number };

const opArb = (n: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { arbitrary: fc.constant({ kind: 'assign' as const }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('toggleAway' as const), who: fc.nat({ max: n - 1 }) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('finish' as const), who: fc.nat({ max: n - 1 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('join' as const), who: fc.nat({ max: n - 1 }) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('leave' as const), who: fc.nat({ max: n - 1 }) }), weight: 1 },
  );

/** A route over `pool` with the members' capacities, and an empty snapshot to commit into. */
function setup(capacities: number[]) {
  const ids = capacities.map((_, i) => `m${i}`);
  const roster: Roster = rosterOf(ids.map((id, i) => member(id, { name: id, capacity: capacities[i]! })));
  const compile = (pool: string[]) => {
    const route: Route = { name: 'rr', strategy: 'round_robin', members: pool };
    return compilePolicy({ version: 'pv', fallbackQueue: 'triage', routes: [route] }, roster);
  };
  const turns: Record<string, number> = {};
  const snapshot: Snapshot = { load: {}, away: {}, turns: { rr: turns } };
  return { ids, roster, compile, turns, snapshot };
}

describe('round_robin fairness', () => {
  it('with a fixed eligible set, after any number of assignments the counts differ by at most one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        fc.array(fc.option(fc.nat({ max: 20 }), { nil: undefined }), { minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 60 }),
        (n, away, startTurns, steps) => {
          const { ids, compile, turns, snapshot } = setup(Array(n).fill(1000));
          ids.forEach((id, i) => {
            if (away[i]) snapshot.away[id] = true;
            if (startTurns[i] !== undefined) turns[id] = startTurns[i]!; // history from before the run
          });
          const eligible = ids.filter((id) => !snapshot.away[id]);
          const compiled = compile(ids);
          let turn = Math.max(0, ...Object.values(turns));
          const counts = new Map(eligible.map((id) => [id, 0]));
          for (let i = 0; i < steps; i++) {
            const d = decide(TASK, snapshot, compiled, NOW);
            if (eligible.length === 0) {
              expect(d).toMatchObject({ outcome: 'queued', queue: 'triage' });
              continue;
            }
            const a = d.assignee!;
            expect(counts.has(a)).toBe(true);
            counts.set(a, counts.get(a)! + 1);
            turns[a] = ++turn;
            snapshot.load[a] = (snapshot.load[a] ?? 0) + 1;
            const values = [...counts.values()];
            expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('as members come and go, nobody eligible has waited longer than the one picked, and counts stay level while the eligible set holds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.record({
            capacities: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: n, maxLength: n }),
            initial: fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: 1 },
            ),
            ops: fc.array(opArb(n), { minLength: 1, maxLength: 150 }),
          }),
        ),
        ({ capacities, initial, ops }) => {
          const { ids, roster, compile, turns, snapshot } = setup(capacities);
          let pool = initial.map((i) => ids[i]!);
          let compiled = compile(pool);
          let turn = 0;
          // The model: when each member last had a turn (absent = never), and counts in the current window.
          const last = new Map<string, number>();
          let windowKey = '';
          let counts = new Map<string, number>();
          const isEligible = (id: string) =>
            !snapshot.away[id] && (snapshot.load[id] ?? 0) < roster.members.get(id)!.capacity;
          for (const op of ops) {
            const id = 'who' in op ? ids[op.who]! : '';
            if (op.kind === 'toggleAway') snapshot.away[id] = !snapshot.away[id];
            if (op.kind === 'finish' && (snapshot.load[id] ?? 0) > 0) snapshot.load[id]! -= 1;
            if (op.kind === 'join' || op.kind === 'leave') {
              pool = op.kind === 'leave' ? pool.filter((x) => x !== id) : pool.includes(id) ? pool : [...pool, id];
              compiled = compile(pool);
            }
            if (op.kind !== 'assign') continue;

            const eligible = pool.filter(isEligible);
            const d = decide(TASK, snapshot, compiled, NOW);
            if (eligible.length === 0) {
              expect(d.outcome).toBe('queued');
              continue;
            }
            const a = d.assignee!;
            expect(eligible).toContain(a);
            // Least recently assigned: never-assigned first, then the oldest last turn; ties in declared order.
            const waited = (x: string) => last.get(x) ?? -1;
            for (const e of eligible) {
              expect(waited(a)).toBeLessThanOrEqual(waited(e));
              if (waited(e) === waited(a)) expect(pool.indexOf(a)).toBeLessThanOrEqual(pool.indexOf(e));
            }
            const key = eligible.join(',');
            if (key !== windowKey) [windowKey, counts] = [key, new Map(eligible.map((x) => [x, 0]))];
            counts.set(a, counts.get(a)! + 1);
            const values = [...counts.values()];
            expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);

            turns[a] = ++turn;
            last.set(a, turn);
            snapshot.load[a] = (snapshot.load[a] ?? 0) + 1;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a member back from away is picked before anyone assigned after its last turn, and a newcomer is picked next', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.nat(),
        (n, before, absent, pick) => {
          const { ids, compile, turns, snapshot } = setup(Array(n + 1).fill(1000));
          const pool = ids.slice(0, n);
          const newcomer = ids[n]!;
          let compiled = compile(pool);
          let turn = 0;
          const assign = () => {
            const a = decide(TASK, snapshot, compiled, NOW).assignee!;
            turns[a] = ++turn;
            return a;
          };
          for (let i = 0; i < before; i++) assign();
          const x = pool[pick % n]!;
          const xLast = turns[x] ?? -1;
          snapshot.away[x] = true;
          for (let i = 0; i < absent; i++) expect(assign()).not.toBe(x);
          snapshot.away[x] = false;
          // Whoever was assigned after x's last turn must wait until x has had its turn.
          const since = new Set(pool.filter((id) => (turns[id] ?? -1) > xLast));
          const picked: string[] = [];
          while (picked.at(-1) !== x) picked.push(assign());
          for (const p of picked.slice(0, -1)) expect(since.has(p)).toBe(false);
          expect(picked.length).toBeLessThanOrEqual(n);

          // Once everyone has had a turn, a member who joins the route goes next, then the rotation resumes.
          for (let i = 0; i < n; i++) assign();
          const oldest = [...pool].sort((a, b) => turns[a]! - turns[b]!)[0];
          compiled = compile([...pool, newcomer]);
          expect(assign()).toBe(newcomer);
          expect(assign()).toBe(oldest);
        },
      ),
      { numRuns: 300 },
    );
  });
});
