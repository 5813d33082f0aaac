/** Config file shapes → the roster and routes decide() works with, every default filled in. */
import type { Condition, FunctionRef, Member, Route, Team } from '../core/index.js';
import type { MemberFile, RouteFile, TeamFile } from './schema.js';

/** A skill listed without a level counts as level 3 (competent). */
export const DEFAULT_SKILL_LEVEL = 3;
export const DEFAULT_SKILL_WEIGHTS = { level: 1, preferred: 0.5, load: 1 };

export function buildMember(m: MemberFile): Member {
  const skills = Array.isArray(m.skills)
    ? Object.fromEntries(m.skills.map((s) => [s, DEFAULT_SKILL_LEVEL]))
    : { ...(m.skills ?? {}) };
  return {
    id: m.id,
    name: m.name ?? m.id,
    capacity: m.capacity,
    capacityByType: { ...(m.capacityByType ?? {}) },
    skills,
    timezone: m.timezone ?? 'UTC',
    ...(m.workingHours ? { workingHours: m.workingHours } : {}),
    leave: m.leave ?? [],
    handles: m.handles ?? {},
  };
}

export function buildTeam(x: TeamFile): Team {
  const timezone = x.timezone ?? 'UTC';
  return {
    id: x.id,
    name: x.name ?? x.id,
    members: x.members,
    timezone,
    ...(x.businessHours ? { businessHours: { ...x.businessHours, holidays: x.businessHours.holidays ?? [] } } : {}),
    ...(x.onCall
      ? {
          onCall: {
            layers: x.onCall.layers.map((l) => ({ ...l, every: l.every ?? 1, timeZone: l.timeZone ?? timezone })),
            overrides: x.onCall.overrides ?? [],
          },
        }
      : {}),
    ...(x.escalation ? { escalation: x.escalation } : {}),
  };
}

export function buildRoute(r: RouteFile): Route {
  const { skills, when, match, function: fn, score, onFunctionError, ...rest } = r;
  return {
    ...rest,
    ...(when !== undefined ? { when: when as Condition } : {}),
    ...(match ? { match: parseFunctionRef(match) } : {}),
    ...(fn ? { function: parseFunctionRef(fn) } : {}),
    ...(score ? { score: parseFunctionRef(score) } : {}),
    ...(onFunctionError !== undefined
      ? {
          onFunctionError:
            typeof onFunctionError === 'string'
              ? { action: onFunctionError }
              : { action: 'queue' as const, queue: onFunctionError.queue },
        }
      : {}),
    ...(skills
      ? {
          skills: {
            required: skills.required ?? [],
            preferred: skills.preferred ?? [],
            minLevel: skills.minLevel ?? 1,
            weights: { ...DEFAULT_SKILL_WEIGHTS, ...(skills.weights ?? {}) },
          },
        }
      : {}),
  };
}

/** `name@version` (already checked against FUNCTION_REF_PATTERN by the schema). */
export function parseFunctionRef(ref: string): FunctionRef {
  const at = ref.lastIndexOf('@');
  return { name: ref.slice(0, at), version: Number(ref.slice(at + 1)) };
}
