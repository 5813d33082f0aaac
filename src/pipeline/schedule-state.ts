/**
 * The schedule part of a snapshot: who is on call, which teams are open, who is off hours or
 * on leave, each team's local clock. Computed from the config at `now` by the pure functions
 * in core/schedule, to the second, and cached per tenant for that second: at hundreds of
 * events per second the zone arithmetic would otherwise dominate decide().
 */
import type { Tenant } from '../config/model.js';
import type { Snapshot } from '../core/index.js';
import { isBusinessOpen, isOnLeave, isWithinHours, localClock, onCallAt } from '../core/schedule/index.js';

export type ScheduleState = Pick<Snapshot, 'onCall' | 'teamOpen' | 'clocks' | 'offHours' | 'onLeave'>;

const cache = new WeakMap<Tenant, { second: number; state: ScheduleState }>();

export function scheduleState(tenant: Tenant, now: Date): ScheduleState {
  const second = Math.floor(now.getTime() / 1000);
  const hit = cache.get(tenant);
  if (hit && hit.second === second) return hit.state;
  const state = computeScheduleState(tenant, new Date(second * 1000));
  cache.set(tenant, { second, state });
  return state;
}

export function computeScheduleState(tenant: Tenant, at: Date): ScheduleState {
  const clocks: NonNullable<ScheduleState['clocks']> = {};
  const teamOpen: NonNullable<ScheduleState['teamOpen']> = {};
  const onCall: NonNullable<ScheduleState['onCall']> = {};
  const offHours: NonNullable<ScheduleState['offHours']> = {};
  const onLeave: NonNullable<ScheduleState['onLeave']> = {};
  for (const team of tenant.roster.teams.values()) {
    clocks[team.id] = localClock(team.timezone, at);
    if (team.businessHours) teamOpen[team.id] = isBusinessOpen(team.businessHours, team.timezone, at);
    if (team.onCall) onCall[team.id] = onCallAt(team.onCall, at);
  }
  for (const member of tenant.roster.members.values()) {
    if (member.workingHours && !isWithinHours(member.workingHours, member.timezone, at)) offHours[member.id] = true;
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
