/** A policy prepared for decide(): predicates compiled, candidate pools resolved. Built once per policy version. */
import { compileCondition, type Predicate } from './conditions.js';
import type { Policy, Roster, Route } from './policy.js';

export interface CompiledRoute {
  route: Route;
  matches: Predicate;
  /** Candidate member ids in declared order (teams first, then members), without duplicates. */
  pool: readonly string[];
}

export interface CompiledPolicy {
  policy: Policy;
  roster: Roster;
  routes: readonly CompiledRoute[];
}

export function compilePolicy(policy: Policy, roster: Roster): CompiledPolicy {
  return {
    policy,
    roster,
    routes: policy.routes.map((route) => ({
      route,
      matches: compileCondition(route.when),
      pool: poolOf(route, roster),
    })),
  };
}

function poolOf(route: Route, roster: Roster): string[] {
  const ids: string[] = [];
  for (const teamId of route.teams ?? []) ids.push(...(roster.teams.get(teamId)?.members ?? []));
  ids.push(...(route.members ?? []));
  return [...new Set(ids)];
}
