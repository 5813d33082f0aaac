import type { Candidate } from '../decision.js';
import { exclusionOf } from './eligibility.js';
import type { Strategy } from './types.js';

/**
 * Next eligible member after the route's cursor (the last member it assigned), in the
 * route's declared order, wrapping around. Ineligible members are skipped, not queued for:
 * the rotation moves on. Score = how soon the member's turn comes (pool size for next).
 */
export const roundRobin: Strategy = ({ route, roster, snapshot }) => {
  const pool = route.pool;
  const cursor = snapshot.cursors[route.route.name];
  const start = cursor === undefined ? 0 : pool.indexOf(cursor) + 1; // -1 + 1 = 0 when the cursor left the pool
  const candidates: Candidate[] = [];
  let chosen: string | null = null;
  for (let step = 0; step < pool.length; step++) {
    const id = pool[(start + step) % pool.length] as string;
    const reason = exclusionOf(id, roster, snapshot);
    if (reason) {
      candidates.push({ memberId: id, excluded: reason });
      continue;
    }
    candidates.push({ memberId: id, score: pool.length - step });
    chosen ??= id;
  }
  if (chosen === null) return { assignee: null, candidates, why: '' };
  const after = cursor === undefined ? 'first in the rotation' : `next in the rotation after ${cursor}`;
  return { assignee: chosen, candidates, why: `${chosen} was ${after}` };
};
