/** A policy prepared for decide(): predicates compiled, candidate pools and modifiers resolved. Built once per policy version. */
import { compileCondition, type Predicate } from './conditions.js';
import type { Policy, Roster, Route } from './policy.js';

export interface CompiledRoute {
  route: Route;
  /** The `when` condition and the `during` modifier together. */
  matches: Predicate;
  /** Candidate member ids in declared order (teams first, then members), without duplicates. */
  pool: readonly string[];
  /** requireSkills and skills.required together. */
  requiredSkills: readonly string[];
  minLevel: number;
  ignoreCapacity: boolean;
}

export interface CompiledPolicy {
  policy: Policy;
  roster: Roster;
  routes: readonly CompiledRoute[];
  /** Some route pins a custom function: decide through decideStep and a function host. */
  hasFunctions: boolean;
}

export function compilePolicy(policy: Policy, roster: Roster): CompiledPolicy {
  const routes = policy.routes.map((route) => compileRoute(route, roster));
  const hasFunctions = policy.routes.some((r) => r.match || r.function || r.score);
  return { policy, roster, routes, hasFunctions };
}

function compileRoute(route: Route, roster: Roster): CompiledRoute {
  const when = compileCondition(route.when);
  const hoursTeam = route.hoursTeam ?? route.teams?.[0];
  const during = route.during;
  const matches: Predicate =
    during === undefined || hoursTeam === undefined
      ? when
      : (task, snapshot) => {
          const open = snapshot.teamOpen?.[hoursTeam] ?? false;
          return (during === 'business_hours' ? open : !open) && when(task, snapshot);
        };
  return {
    route,
    matches,
    pool: poolOf(route, roster),
    requiredSkills: [...new Set([...(route.requireSkills ?? []), ...(route.skills?.required ?? [])])],
    minLevel: route.skills?.minLevel ?? 1,
    ignoreCapacity: route.ignoreCapacity ?? route.strategy === 'on_call',
  };
}

function poolOf(route: Route, roster: Roster): string[] {
  const ids: string[] = [];
  for (const teamId of route.teams ?? []) ids.push(...(roster.teams.get(teamId)?.members ?? []));
  ids.push(...(route.members ?? []));
  return [...new Set(ids)];
}
