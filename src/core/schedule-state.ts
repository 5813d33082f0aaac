/**
 * The schedule part of a snapshot: who is on call, which teams are open, who is off hours or
 * on leave, each team's local clock. Computed from the config at `now` by the pure functions
 * in schedule/, to the second, and cached per tenant for that second: at hundreds of
 * events per second the zone arithmetic would otherwise dominate decide(). The pipeline's
 * snapshots hold only the part the tenant's policy can read (snapshot-reads.ts): it is
 * stored with every decision, and for a tenant with twelve teams whose routes use four it measured
 * 2,973 → 751 bytes per snapshot (bench/snapshot-size.ts --teams 12; docs/simulate-and-replay.md).
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { Roster, Snapshot } from './policy.js';
import { isBusinessOpen, isOnLeave, isWithinHours, localClock, onCallAt } from './schedule/index.js';
import { type ScheduleReads, scheduleReads } from './snapshot-reads.js';

export type ScheduleState = Pick<Snapshot, 'onCall' | 'teamOpen' | 'clocks' | 'offHours' | 'onLeave'>;

/** What the schedule state is computed from: a tenant (config/model.ts Tenant) has both. */
export interface ScheduledTenant {
  roster: Roster;
  compiled: CompiledPolicy;
}

const cache = new WeakMap<ScheduledTenant, { second: number; state: ScheduleState }>();

export function scheduleState(tenant: ScheduledTenant, now: Date): ScheduleState {
  const second = Math.floor(now.getTime() / 1000);
  const hit = cache.get(tenant);
  if (hit && hit.second === second) return hit.state;
  const state = computeScheduleState(tenant, new Date(second * 1000), scheduleReads(tenant.compiled));
  cache.set(tenant, { second, state });
  return state;
}

/** `reads`: only what a policy can read (what the pipeline stores); without it, everything (the API's views). */
export function computeScheduleState(
  tenant: Pick<ScheduledTenant, 'roster'>,
  at: Date,
  reads?: ScheduleReads,
): ScheduleState {
  const clocks: NonNullable<ScheduleState['clocks']> = {};
  const teamOpen: NonNullable<ScheduleState['teamOpen']> = {};
  const onCall: NonNullable<ScheduleState['onCall']> = {};
  const offHours: NonNullable<ScheduleState['offHours']> = {};
  const onLeave: NonNullable<ScheduleState['onLeave']> = {};
  for (const team of tenant.roster.teams.values()) {
    if (!reads || reads.clocks.has(team.id)) clocks[team.id] = localClock(team.timezone, at);
    if (team.businessHours && (!reads || reads.teamOpen.has(team.id))) {
      teamOpen[team.id] = isBusinessOpen(team.businessHours, team.timezone, at);
    }
    if (team.onCall && (!reads || reads.onCall.has(team.id))) onCall[team.id] = onCallAt(team.onCall, at);
  }
  const readsOffHours = !reads || reads.offHours;
  for (const member of tenant.roster.members.values()) {
    if (readsOffHours && member.workingHours && !isWithinHours(member.workingHours, member.timezone, at)) {
      offHours[member.id] = true;
    }
    if (member.leave.length && isOnLeave(member.leave, member.timezone, at)) onLeave[member.id] = true;
  }
  // Only what is set: snapshots are stored with every decision, so keep them small.
  const nonEmpty = <T extends object>(o: T) => (Object.keys(o).length ? o : undefined);
  const state: ScheduleState = {};
  for (const [key, value] of Object.entries({ clocks, teamOpen, onCall, offHours, onLeave })) {
    const kept = nonEmpty(value);
    if (kept) Object.assign(state, { [key]: kept });
  }
  return state;
}
