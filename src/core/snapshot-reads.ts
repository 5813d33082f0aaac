/**
 * Which schedule state decide() can read under a compiled policy. The schedule part of a
 * snapshot (on call, business hours, clocks, working hours) is a pure function of the roster
 * and `now`, computed per team and per member; a tenant with a dozen teams carries a dozen
 * clocks and rotations in every decision although its routes read one or two. The pipeline
 * computes (and so stores and hashes) only what this says decide() can read, so replay over
 * the stored snapshot is exact by construction; simulation recomputes the schedule a candidate
 * reads from the candidate's own roster (src/policy/simulate.ts).
 *
 * Keep in step with every snapshot read in decide(), the strategies and the function inputs:
 * - `clocks[team]`: clock conditions name the team (conditions.ts).
 * - `teamOpen[team]`: a route with `during` reads its hours team (compiled-policy.ts).
 * - `onCall[team]`: an on_call route reads its first team (strategies/on-call.ts).
 * - `offHours`: routes with `excludeOffHours` (strategies/eligibility.ts) and custom functions
 *   (their member view may include `offHours`, src/functions/allow-list.ts).
 * - `onLeave` is read for every candidate of every route and is always kept whole.
 * test/core/snapshot-reads.test.ts checks decide() gives the same decision on both snapshots.
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { Condition } from './policy.js';

export interface ScheduleReads {
  clocks: ReadonlySet<string>;
  teamOpen: ReadonlySet<string>;
  onCall: ReadonlySet<string>;
  offHours: boolean;
}

const cache = new WeakMap<CompiledPolicy, ScheduleReads>();

export function scheduleReads(compiled: CompiledPolicy): ScheduleReads {
  const hit = cache.get(compiled);
  if (hit) return hit;
  const clocks = new Set<string>();
  const teamOpen = new Set<string>();
  const onCall = new Set<string>();
  let offHours = false;
  for (const { route } of compiled.routes) {
    clockTeams(route.when, clocks);
    const hoursTeam = route.hoursTeam ?? route.teams?.[0];
    if (route.during !== undefined && hoursTeam !== undefined) teamOpen.add(hoursTeam);
    const first = route.teams?.[0];
    if (route.strategy === 'on_call' && first !== undefined) onCall.add(first);
    if (route.excludeOffHours || route.match || route.function || route.score) offHours = true;
  }
  const reads: ScheduleReads = { clocks, teamOpen, onCall, offHours };
  cache.set(compiled, reads);
  return reads;
}

/** True when everything `inner` reads is also read under `outer`. */
export function readsCovered(inner: ScheduleReads, outer: ScheduleReads): boolean {
  const within = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].every((x) => b.has(x));
  return (
    within(inner.clocks, outer.clocks) &&
    within(inner.teamOpen, outer.teamOpen) &&
    within(inner.onCall, outer.onCall) &&
    (!inner.offHours || outer.offHours)
  );
}

function clockTeams(c: Condition | undefined, out: Set<string>): void {
  if (c === undefined) return;
  if ('all' in c) for (const x of c.all) clockTeams(x, out);
  else if ('any' in c) for (const x of c.any) clockTeams(x, out);
  else if ('not' in c) clockTeams(c.not, out);
  else if ('clock' in c) out.add(c.clock.team);
}
