import type { Candidate } from '../decision.js';
import { exclusionOf, loadOf } from './eligibility.js';
import type { Strategy } from './types.js';

/**
 * Fewest open tasks wins; the score is minus the open-task count. Ties go to the member
 * with more free capacity, then to the earlier member in the route's declared order.
 */
export const leastLoaded: Strategy = (input) => {
  const { route, roster, snapshot } = input;
  const candidates: Candidate[] = [];
  let best: { id: string; load: number; free: number } | null = null;
  for (const id of route.pool) {
    const reason = exclusionOf(id, input);
    if (reason) {
      candidates.push({ memberId: id, excluded: reason });
      continue;
    }
    const load = loadOf(id, snapshot);
    const free = (roster.members.get(id)?.capacity ?? 0) - load;
    candidates.push({ memberId: id, score: 0 - load || 0 }); // never -0: it would not survive a JSON round trip
    if (!best || load < best.load || (load === best.load && free > best.free)) best = { id, load, free };
  }
  if (!best) return { assignee: null, candidates, why: '' };
  const eligible = candidates.filter((c) => c.score !== undefined).length;
  return {
    assignee: best.id,
    candidates,
    why: `${best.id} had the fewest open tasks (${best.load}) among ${eligible} eligible`,
  };
};
