/** How a route uses its function's (already validated) answer: pick by `decide`, rank by `score`. */
import type { Candidate } from './decision.js';
import { type DecideAnswer, formatRef } from './function-steps.js';
import type { FunctionRef } from './policy.js';
import { exclusionOf } from './strategies/eligibility.js';
import type { StrategyInput, StrategyResult } from './strategies/index.js';

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export const decideByFunction = {
  /** The route's pool with exclusions: the function sees only the eligible ones. */
  candidates(input: StrategyInput): { candidates: Candidate[]; eligible: string[] } {
    const candidates: Candidate[] = input.route.pool.map((id) => {
      const excluded = exclusionOf(id, input);
      return excluded ? { memberId: id, excluded } : { memberId: id };
    });
    return { candidates, eligible: candidates.filter((c) => !c.excluded).map((c) => c.memberId) };
  },

  /**
   * The function's pick, checked like any strategy's: the assignee must be eligible for this
   * route (in its pool when it has one; available and within capacity in any case).
   */
  apply(
    input: StrategyInput,
    candidates: Candidate[],
    value: unknown,
  ): StrategyResult | { queue: string; why: string } | { failed: string } {
    const ref = formatRef(input.route.route.function as FunctionRef);
    const answer = value as DecideAnswer;
    if (answer === null || 'abstain' in answer) return { assignee: null, candidates, why: `${ref} abstained` };
    if ('queue' in answer) return { queue: answer.queue, why: `${ref} chose queue "${answer.queue}"` };
    const id = answer.assignee;
    const hasPool = input.route.pool.length > 0;
    if (hasPool && !input.route.pool.includes(id)) return { failed: `answered ${id}, who is not in the route's pool` };
    const excluded = exclusionOf(id, input);
    if (excluded) return { failed: `answered ${id}, who is ${excluded.code.replace('_', ' ')}` };
    const chosen = hasPool ? candidates : [{ memberId: id }];
    return {
      assignee: id,
      candidates: chosen.map((c) => (c.memberId === id ? { ...c, score: 1 } : c)),
      why: `${ref} chose ${id}`,
    };
  },
};

/**
 * Rank the strategy's eligible candidates by the function's scores instead: highest wins, ties
 * in declared order; an eligible candidate the function did not score is excluded (`not_scored`).
 * The strategy's own score is kept in the breakdown.
 */
export function scoreByFunction(base: StrategyResult, value: unknown, ref: FunctionRef): StrategyResult {
  const scores = (value as { scores: Record<string, number> }).scores;
  let best: { id: string; score: number } | null = null;
  const candidates = base.candidates.map((c): Candidate => {
    if (c.score === undefined) return c;
    const s = scores[c.memberId];
    if (s === undefined) return { memberId: c.memberId, excluded: { code: 'not_scored' } };
    const score = round(s);
    if (!best || score > best.score) best = { id: c.memberId, score };
    return { memberId: c.memberId, score, breakdown: { function: score, strategy: c.score } };
  });
  const top = best as { id: string; score: number } | null;
  if (!top) return { assignee: null, candidates, why: `${formatRef(ref)} scored no eligible candidate` };
  return { assignee: top.id, candidates, why: `${top.id} scored highest by ${formatRef(ref)} (${top.score})` };
}
