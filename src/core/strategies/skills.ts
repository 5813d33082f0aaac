import type { Candidate } from '../decision.js';
import { exclusionOf, loadOf } from './eligibility.js';
import type { Strategy } from './types.js';

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Weighted score over the route's `skills`: members lacking a required skill (at minLevel)
 * are excluded; the rest score
 *   level     × average level of the required skills / 5
 * + preferred × share of the preferred skills they have
 * + load      × free capacity (1 − open/capacity)
 * Highest wins; ties in declared order. Each term is kept in the candidate's breakdown.
 */
export const skills: Strategy = (input) => {
  const { route, roster, snapshot } = input;
  const spec = route.route.skills ?? {
    required: [],
    preferred: [],
    minLevel: 1,
    weights: { level: 1, preferred: 0.5, load: 1 },
  };
  const candidates: Candidate[] = [];
  let best: { id: string; score: number } | null = null;
  for (const id of route.pool) {
    const reason = exclusionOf(id, input);
    const member = roster.members.get(id);
    if (reason || !member) {
      candidates.push({ memberId: id, excluded: reason ?? { code: 'unknown_member' } });
      continue;
    }
    const levels = spec.required.map((s) => member.skills[s] ?? 0);
    const level = levels.length ? levels.reduce((a, b) => a + b, 0) / levels.length / 5 : 0;
    const preferred = spec.preferred.length
      ? spec.preferred.filter((s) => member.skills[s] !== undefined).length / spec.preferred.length
      : 0;
    const free = member.capacity > 0 ? Math.max(0, 1 - loadOf(id, snapshot) / member.capacity) : 0;
    const breakdown = {
      level: round(spec.weights.level * level),
      preferred: round(spec.weights.preferred * preferred),
      load: round(spec.weights.load * free),
    };
    const score = round(breakdown.level + breakdown.preferred + breakdown.load);
    candidates.push({ memberId: id, score, breakdown });
    if (!best || score > best.score) best = { id, score };
  }
  if (!best) return { assignee: null, candidates, why: '' };
  const b = candidates.find((c) => c.memberId === best?.id)?.breakdown ?? {};
  return {
    assignee: best.id,
    candidates,
    why: `${best.id} scored highest (${best.score}: level ${b.level}, preferred ${b.preferred}, free capacity ${b.load})`,
  };
};
