import type { CompiledRoute } from '../compiled-policy.js';
import type { ExclusionReason } from '../decision.js';
import type { Roster, Snapshot } from '../policy.js';
import type { Task } from '../task.js';

export interface EligibilityContext {
  route: CompiledRoute;
  task: Task;
  roster: Roster;
  snapshot: Snapshot;
}

/**
 * Why a member may not take this task through this route right now, or undefined when they
 * may. Order matters only for which reason is reported when several apply: the first one.
 */
export function exclusionOf(memberId: string, ctx: EligibilityContext): ExclusionReason | undefined {
  const { roster, snapshot, route, task } = ctx;
  const member = roster.members.get(memberId);
  if (!member) return { code: 'unknown_member' };
  if (snapshot.away[memberId]) return { code: 'away' };
  if (snapshot.onLeave?.[memberId]) return { code: 'on_leave' };
  if (route.route.excludeOffHours && snapshot.offHours?.[memberId]) return { code: 'off_hours' };
  for (const skill of route.requiredSkills) {
    const level = member.skills[skill];
    // requireSkills asks for the skill at any level; only skills.required carries the route's minLevel.
    const minLevel = route.route.skills?.required.includes(skill) ? route.minLevel : 1;
    if (level === undefined || level < minLevel) {
      return { code: 'missing_skill', skill, ...(level !== undefined ? { level, minLevel } : {}) };
    }
  }
  if (!route.ignoreCapacity) {
    const load = snapshot.load[memberId] ?? 0;
    if (load >= member.capacity) return { code: 'at_capacity', load, capacity: member.capacity };
    const type = task.type;
    const typeCap = type === undefined ? undefined : member.capacityByType[type];
    if (type !== undefined && typeCap !== undefined) {
      const typeLoad = snapshot.loadByType?.[memberId]?.[type] ?? 0;
      if (typeLoad >= typeCap) return { code: 'at_capacity', load: typeLoad, capacity: typeCap, type };
    }
  }
  return undefined;
}

export function loadOf(memberId: string, snapshot: Snapshot): number {
  return snapshot.load[memberId] ?? 0;
}
