import type { Candidate } from '../decision.js';
import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/**
 * Whoever is on call for the route's first team now, layer by layer: if the primary is
 * unavailable (away, on leave, or what the route's modifiers exclude) the next layer takes
 * it, then the team's escalation target. Capacity is not counted unless the route says so.
 */
export const onCall: Strategy = (input) => {
  const { route, roster, snapshot } = input;
  const teamId = route.route.teams?.[0];
  const team = teamId ? roster.teams.get(teamId) : undefined;
  if (!teamId || !team) return { assignee: null, candidates: [], why: 'the route names no team' };
  const entries = snapshot.onCall?.[teamId] ?? [];
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let chosen: { id: string; how: string } | null = null;
  const consider = (id: string, how: string, score: number) => {
    if (seen.has(id)) return;
    seen.add(id);
    const reason = exclusionOf(id, input);
    if (reason) {
      candidates.push({ memberId: id, excluded: reason });
      return;
    }
    candidates.push({ memberId: id, score });
    chosen ??= { id, how };
  };
  entries.forEach((e, i) => {
    const covering = e.covering ? `, covering for ${e.covering}` : '';
    consider(e.member, `on call (${e.layer} layer${covering}) for ${teamId}`, entries.length + 1 - i);
  });
  if (team.escalation) consider(team.escalation, `the escalation target of ${teamId}: nobody on call was available`, 0);
  if (chosen === null) {
    const why = entries.length === 0 && !team.escalation ? `nobody is on call for ${teamId} now` : '';
    return { assignee: null, candidates, why };
  }
  const pick = chosen as { id: string; how: string };
  const escalated = team.escalation === pick.id && !entries.some((e) => e.member === pick.id);
  return { assignee: pick.id, candidates, why: `${pick.id} is ${pick.how}`, ...(escalated ? { escalated } : {}) };
};
