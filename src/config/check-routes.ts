/** Semantic checks of the policy's routes: references, strategy needs, modifiers, conditions. */

import type { Problem } from './check-roster.js';
import type { RouteFile, TeamFile } from './schema.js';
import { validateCondition } from './validate-condition.js';

export function checkRoutes(
  routes: RouteFile[],
  members: Set<string>,
  teams: ReadonlyMap<string, TeamFile>,
): Problem[] {
  const problems: Problem[] = [];
  routes.forEach((r, i) => {
    const at = ['policy', 'routes', i];
    const problem = (key: string, message: string) => problems.push([[...at, key], message]);
    r.teams?.forEach((x, j) => {
      if (!teams.has(x)) problems.push([[...at, 'teams', j], `unknown team "${x}"`]);
    });
    r.members?.forEach((x, j) => {
      if (!members.has(x)) problems.push([[...at, 'members', j], `unknown member "${x}"`]);
    });
    for (const key of ['assignee', 'escalateTo'] as const) {
      const id = r[key];
      if (id !== undefined && !members.has(id)) problem(key, `unknown member "${id}"`);
    }
    const pool = Boolean(r.teams?.length || r.members?.length);
    switch (r.strategy) {
      case 'direct':
        if (pool) problem('strategy', "direct routes name an assignee (or use the task's), not teams or members");
        break;
      case 'on_call': {
        const team = r.teams?.[0] ? teams.get(r.teams[0]) : undefined;
        if (!r.teams?.length) problem('strategy', 'on_call needs teams: [the team whose schedule to follow]');
        else if (team && !team.onCall) problem('strategy', `on_call: team "${team.id}" has no onCall schedule`);
        break;
      }
      case 'skills':
        if (!pool) problem('strategy', 'skills needs candidates: list teams or members');
        if (!r.skills?.required?.length && !r.skills?.preferred?.length) {
          problem('strategy', 'skills needs skills: { required: [...] } and/or { preferred: [...] }');
        }
        break;
      case 'sticky':
        break;
      case 'function':
        if (!r.function) problem('strategy', 'strategy function needs function: name@version (a decide function)');
        break;
      default:
        if (!pool) problem('strategy', `${r.strategy} needs candidates: list teams or members`);
    }
    if (r.skills && r.strategy !== 'skills')
      problem('skills', 'skills: is read by the skills strategy only; use requireSkills to filter');
    if (r.during !== undefined) {
      const hoursTeam = r.hoursTeam ?? r.teams?.[0];
      const team = hoursTeam ? teams.get(hoursTeam) : undefined;
      if (!hoursTeam) problem('during', 'during needs hoursTeam (or a first team) whose business hours to follow');
      else if (!team) problem('hoursTeam', `unknown team "${hoursTeam}"`);
      else if (!team.businessHours) problem('during', `team "${hoursTeam}" has no businessHours`);
    }
    if (r.function && r.strategy !== 'function')
      problem('function', 'function: is the decide function of strategy function; use score: or match: here');
    if (r.score && r.strategy !== 'least_loaded' && r.strategy !== 'skills')
      problem('score', 'score: ranks the candidates of least_loaded or skills routes');
    if (r.onFunctionError !== undefined && !r.match && !r.function && !r.score)
      problem('onFunctionError', 'onFunctionError needs a function on the route (match, function or score)');
    if (r.escalateTo && r.queueIfNoneEligible)
      problem('escalateTo', 'choose escalateTo or queueIfNoneEligible, not both');
    if (r.when !== undefined) {
      for (const [p, m] of validateCondition(r.when, [], 0, new Set(teams.keys())))
        problems.push([[...at, 'when', ...p], m]);
    }
  });
  return problems;
}
