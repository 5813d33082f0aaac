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
  const state: ScheduleState = {};
  for (const team of tenant.roster.teams.values()) {
    (state.clocks ??= {})[team.id] = localClock(team.timezone, at);
    if (team.businessHours) (state.teamOpen ??= {})[team.id] = isBusinessOpen(team.businessHours, team.timezone, at);
    if (team.onCall) (state.onCall ??= {})[team.id] = onCallAt(team.onCall, at);
  }
  for (const member of tenant.roster.members.values()) {
    if (member.workingHours && !isWithinHours(member.workingHours, member.timezone, at))
      (state.offHours ??= {})[member.id] = true;
    if (member.leave.length && isOnLeave(member.leave, member.timezone, at)) (state.onLeave ??= {})[member.id] = true;
  }
  return state;
}
