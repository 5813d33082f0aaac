/**
 * decide(task, snapshot, policy, now) → Decision.
 *
 * Pure: no I/O, no clock (time comes in as `now`), no randomness. Every tie is broken by the
 * route's declared member order. This is what makes simulation, replay and "why was this
 * assigned?" possible.
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { Decision, RouteTrace } from './decision.js';
import { explain } from './explain.js';
import type { Snapshot } from './policy.js';
import { STRATEGIES } from './strategies/index.js';
import type { Task } from './task.js';

export function decide(task: Task, snapshot: Snapshot, compiled: CompiledPolicy, _now: Date): Decision {
  const { policy, roster } = compiled;
  const routesTried: RouteTrace[] = [];
  let boost = 0;
  const conclude = (
    outcome: Pick<Decision, 'outcome' | 'assignee' | 'queue' | 'route' | 'strategy' | 'candidates' | 'escalated'>,
    why: string,
  ): Decision => {
    // A queued task ranks by the strongest VIP/priority boost among the routes it matched.
    const queuedBoost = outcome.outcome === 'queued' && boost > 0 ? { boost } : {};
    const draft: DecisionDraft = { ...outcome, ...queuedBoost, routesTried, policyVersion: policy.version };
    return { ...draft, explanation: explain(draft, { compiled, task, why, tried: routesTried }) };
  };
  for (const cr of compiled.routes) {
    const { route } = cr;
    if (!cr.matches(task, snapshot)) {
      routesTried.push({ route: route.name, matched: false });
      continue;
    }
    boost = Math.max(boost, route.boost ?? 0);
    const result = STRATEGIES[route.strategy]({ route: cr, task, roster, snapshot });
    const common = { route: route.name, strategy: route.strategy, candidates: result.candidates };
    if (result.assignee !== null) {
      routesTried.push({ route: route.name, matched: true, outcome: 'assigned' });
      const escalated = result.escalated ? { escalated: true } : {};
      return conclude(
        { outcome: 'assigned', assignee: result.assignee, queue: null, ...common, ...escalated },
        result.why,
      );
    }
    if (route.escalateTo && !snapshot.away[route.escalateTo] && !snapshot.onLeave?.[route.escalateTo]) {
      routesTried.push({ route: route.name, matched: true, outcome: 'assigned' });
      const why = `nobody was eligible, so the route escalated to ${route.escalateTo}`;
      return conclude(
        { outcome: 'assigned', assignee: route.escalateTo, queue: null, ...common, escalated: true },
        why,
      );
    }
    if (route.queueIfNoneEligible) {
      routesTried.push({ route: route.name, matched: true, outcome: 'queued' });
      return conclude({ outcome: 'queued', assignee: null, queue: route.queueIfNoneEligible, ...common }, result.why);
    }
    routesTried.push({
      route: route.name,
      matched: true,
      outcome: 'no_eligible_candidate',
      candidates: result.candidates,
      ...(result.candidates.length === 0 && result.why ? { why: result.why } : {}),
    });
  }
  const fallback = {
    outcome: 'queued',
    assignee: null,
    queue: policy.fallbackQueue,
    route: null,
    strategy: null,
  } as const;
  return conclude({ ...fallback, candidates: [] }, '');
}

export type DecisionDraft = Omit<Decision, 'explanation'>;
export interface ExplainContext {
  compiled: CompiledPolicy;
  task: Task;
  why: string;
  tried: RouteTrace[];
}
