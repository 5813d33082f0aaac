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
  for (const cr of compiled.routes) {
    const { route } = cr;
    if (!cr.matches(task)) {
      routesTried.push({ route: route.name, matched: false });
      continue;
    }
    const result = STRATEGIES[route.strategy]({ route: cr, task, roster, snapshot });
    if (result.assignee !== null) {
      routesTried.push({ route: route.name, matched: true, outcome: 'assigned' });
      return finish(
        {
          outcome: 'assigned',
          assignee: result.assignee,
          queue: null,
          route: route.name,
          strategy: route.strategy,
          candidates: result.candidates,
          routesTried,
          policyVersion: policy.version,
        },
        { compiled, task, why: result.why, tried: routesTried },
      );
    }
    if (route.queueIfNoneEligible) {
      routesTried.push({ route: route.name, matched: true, outcome: 'queued' });
      return finish(
        {
          outcome: 'queued',
          assignee: null,
          queue: route.queueIfNoneEligible,
          route: route.name,
          strategy: route.strategy,
          candidates: result.candidates,
          routesTried,
          policyVersion: policy.version,
        },
        { compiled, task, why: result.why, tried: routesTried },
      );
    }
    routesTried.push({
      route: route.name,
      matched: true,
      outcome: 'no_eligible_candidate',
      candidates: result.candidates,
      ...(result.candidates.length === 0 && result.why ? { why: result.why } : {}),
    });
  }
  return finish(
    {
      outcome: 'queued',
      assignee: null,
      queue: policy.fallbackQueue,
      route: null,
      strategy: null,
      candidates: [],
      routesTried,
      policyVersion: policy.version,
    },
    { compiled, task, why: '', tried: routesTried },
  );
}

export type DecisionDraft = Omit<Decision, 'explanation'>;
export interface ExplainContext {
  compiled: CompiledPolicy;
  task: Task;
  why: string;
  tried: RouteTrace[];
}

function finish(draft: DecisionDraft, ctx: ExplainContext): Decision {
  return { ...draft, explanation: explain(draft, ctx) };
}
