import type { Candidate } from '../decision.js';
import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/**
 * The eligible member who has waited longest since this route last assigned them (never
 * assigned counts as longest), ties in declared order. With everyone eligible this is plain
 * rotation in declared order; a member who was skipped (away, full) keeps their place and is
 * next once eligible again, and a member who joins goes first. So over time counts stay level
 * however members come, go or fill up. Score: minus the member's last turn (-1 = never).
 */
export const roundRobin: Strategy = (input) => {
  const { route, snapshot } = input;
  const turns = snapshot.turns?.[route.route.name] ?? {};
  const candidates: Candidate[] = [];
  let best: { id: string; turn: number } | null = null;
  for (const id of route.pool) {
    const reason = exclusionOf(id, input);
    if (reason) {
      candidates.push({ memberId: id, excluded: reason });
      continue;
    }
    const turn = turns[id] ?? -1;
    candidates.push({ memberId: id, score: 0 - turn || 0 });
    if (!best || turn < best.turn) best = { id, turn };
  }
  if (!best) return { assignee: null, candidates, why: '' };
  const why =
    best.turn < 0 ? `${best.id} had not had a turn on this route yet` : `${best.id} had waited longest for a turn`;
  return { assignee: best.id, candidates, why };
};
