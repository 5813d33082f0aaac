/**
 * decide(task, snapshot, policy, now) → Decision.
 *
 * Pure: no I/O, no clock (time comes in as `now`), no randomness. Every tie is broken by the
 * route's declared member order. This is what makes simulation, replay and "why was this
 * assigned?" possible. Routes with custom functions go through decideStep(), which takes the
 * functions' answers as input and asks for the ones it lacks (see function-steps.ts).
 */
import type { CompiledPolicy, CompiledRoute } from './compiled-policy.js';
import type { Decision, RouteTrace } from './decision.js';
import { explain } from './explain.js';
import {
  type FunctionAnswers,
  type FunctionRequest,
  type FunctionStepKind,
  fallbackOf,
  formatRef,
  stepOf,
} from './function-steps.js';
import { decideByFunction, scoreByFunction } from './function-strategies.js';
import type { FunctionFallback, Snapshot } from './policy.js';
import { STRATEGIES, type StrategyResult } from './strategies/index.js';
import type { Task } from './task.js';

export type DecideStep = { decision: Decision } | { need: FunctionRequest };

const NO_ANSWERS: FunctionAnswers = new Map();

/** decide() for policies without functions (or with every answer given): throws if an answer is missing. */
export function decide(
  task: Task,
  snapshot: Snapshot,
  compiled: CompiledPolicy,
  now: Date,
  answers: FunctionAnswers = NO_ANSWERS,
): Decision {
  const step = decideStep(task, snapshot, compiled, now, answers);
  if ('need' in step) throw new Error(`decide() needs the answer of ${formatRef(step.need.ref)} (${step.need.step})`);
  return step.decision;
}

export function decideStep(
  task: Task,
  snapshot: Snapshot,
  compiled: CompiledPolicy,
  _now: Date,
  answers: FunctionAnswers = NO_ANSWERS,
): DecideStep {
  const { policy, roster } = compiled;
  const routesTried: RouteTrace[] = [];
  let boost = 0;
  const conclude = (
    outcome: Pick<Decision, 'outcome' | 'assignee' | 'queue' | 'route' | 'strategy' | 'candidates' | 'escalated'>,
    why: string,
  ): DecideStep => {
    // A queued task ranks by the strongest VIP/priority boost among the routes it matched.
    const queuedBoost = outcome.outcome === 'queued' && boost > 0 ? { boost } : {};
    const draft: DecisionDraft = { ...outcome, ...queuedBoost, routesTried, policyVersion: policy.version };
    return { decision: { ...draft, explanation: explain(draft, { compiled, task, why, tried: routesTried }) } };
  };
  /** A failed function whose fallback is a queue ends the decision there. */
  const queuedByFallback = (cr: CompiledRoute, queue: string, failure: string): DecideStep =>
    conclude(
      { outcome: 'queued', assignee: null, queue, route: cr.route.name, strategy: cr.route.strategy, candidates: [] },
      failure,
    );

  for (const cr of compiled.routes) {
    const { route } = cr;
    if (!cr.matches(task, snapshot)) {
      routesTried.push({ route: route.name, matched: false });
      continue;
    }
    if (route.match) {
      const asked = ask(answers, cr, 'match', []);
      if ('need' in asked) return asked;
      if (asked.failed) {
        const trace = failureTrace(cr, 'match', asked.failed);
        if (trace.fallback.action === 'queue') {
          routesTried.push({ route: route.name, matched: true, outcome: 'queued', function: trace });
          return queuedByFallback(cr, trace.fallback.queue, trace.failure);
        }
        if (trace.fallback.action === 'next_route') {
          routesTried.push({ route: route.name, matched: false, function: trace });
          continue;
        }
        // config: the `when` alone decides, and it matched.
      } else if (asked.value !== true) {
        routesTried.push({ route: route.name, matched: false, why: `${formatRef(route.match)} answered false` });
        continue;
      }
    }
    boost = Math.max(boost, route.boost ?? 0);

    let result: StrategyResult;
    /** Set when the route's function failed; `fellThrough` when its fallback is to try the next route. */
    let fnTrace: FunctionTrace | undefined;
    let fellThrough = false;
    if (route.strategy === 'function' && route.function) {
      const input = { route: cr, task, roster, snapshot };
      const pool = decideByFunction.candidates(input);
      const asked = ask(answers, cr, 'decide', pool.eligible);
      if ('need' in asked) return asked;
      const picked = asked.failed
        ? ({ failed: asked.failed } as const)
        : decideByFunction.apply(input, pool.candidates, asked.value);
      if ('queue' in picked) {
        routesTried.push({ route: route.name, matched: true, outcome: 'queued' });
        const queued = { outcome: 'queued', assignee: null, queue: picked.queue, candidates: pool.candidates } as const;
        return conclude({ ...queued, route: route.name, strategy: 'function' }, picked.why);
      }
      if ('failed' in picked) {
        fnTrace = failureTrace(cr, 'decide', picked.failed);
        fellThrough = fnTrace.fallback.action !== 'queue';
        result = { assignee: null, candidates: pool.candidates, why: fnTrace.failure };
      } else {
        result = picked;
      }
    } else {
      const strategy = STRATEGIES[route.strategy as Exclude<typeof route.strategy, 'function'>];
      result = strategy({ route: cr, task, roster, snapshot });
      const eligible = result.candidates.filter((c) => c.score !== undefined).map((c) => c.memberId);
      if (route.score && eligible.length > 0) {
        const asked = ask(answers, cr, 'score', eligible);
        if ('need' in asked) return asked;
        if (asked.failed) {
          fnTrace = failureTrace(cr, 'score', asked.failed);
          if (fnTrace.fallback.action === 'config') {
            result = { ...result, why: `${fnTrace.failure}, so ${route.strategy} ranked instead: ${result.why}` };
          } else {
            fellThrough = fnTrace.fallback.action === 'next_route';
            result = { assignee: null, candidates: result.candidates, why: fnTrace.failure };
          }
        } else {
          result = scoreByFunction(result, asked.value, route.score);
        }
      }
    }

    if (fnTrace?.fallback.action === 'queue') {
      routesTried.push({ route: route.name, matched: true, outcome: 'queued', function: fnTrace });
      return queuedByFallback(cr, fnTrace.fallback.queue, fnTrace.failure);
    }
    const functionTrace = fnTrace ? { function: fnTrace } : {};
    const common = { route: route.name, strategy: route.strategy, candidates: result.candidates };
    if (result.assignee !== null) {
      routesTried.push({ route: route.name, matched: true, outcome: 'assigned', ...functionTrace });
      const escalated = result.escalated ? { escalated: true } : {};
      return conclude(
        { outcome: 'assigned', assignee: result.assignee, queue: null, ...common, ...escalated },
        result.why,
      );
    }
    // A failed function whose fallback is the next route skips this route's own escalation and queue.
    if (!fellThrough && route.escalateTo && !snapshot.away[route.escalateTo] && !snapshot.onLeave?.[route.escalateTo]) {
      routesTried.push({ route: route.name, matched: true, outcome: 'assigned' });
      const why = `nobody was eligible, so the route escalated to ${route.escalateTo}`;
      return conclude(
        { outcome: 'assigned', assignee: route.escalateTo, queue: null, ...common, escalated: true },
        why,
      );
    }
    if (!fellThrough && route.queueIfNoneEligible) {
      routesTried.push({ route: route.name, matched: true, outcome: 'queued' });
      return conclude({ outcome: 'queued', assignee: null, queue: route.queueIfNoneEligible, ...common }, result.why);
    }
    routesTried.push({
      route: route.name,
      matched: true,
      outcome: 'no_eligible_candidate',
      candidates: result.candidates,
      ...(result.candidates.length === 0 || fellThrough ? (result.why ? { why: result.why } : {}) : {}),
      ...functionTrace,
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

/** Why a route's function gave no usable answer and what the route did instead. */
export interface FunctionTrace {
  step: string;
  /** One line: `arr-score@2 failed: timed out after 50 ms`. */
  failure: string;
  fallback: FunctionFallback;
}

function failureTrace(cr: CompiledRoute, kind: FunctionStepKind, reason: string): FunctionTrace {
  const ref = kind === 'match' ? cr.route.match : kind === 'decide' ? cr.route.function : cr.route.score;
  return {
    step: stepOf(kind, cr.route.name),
    failure: `${ref ? formatRef(ref) : kind} failed (${reason})`,
    fallback: fallbackOf(cr.route, kind),
  };
}

type Asked = { need: FunctionRequest } | { failed: string; value?: undefined } | { failed?: undefined; value: unknown };

function ask(answers: FunctionAnswers, cr: CompiledRoute, kind: FunctionStepKind, candidates: string[]): Asked {
  const ref = kind === 'match' ? cr.route.match : kind === 'decide' ? cr.route.function : cr.route.score;
  if (!ref) throw new Error(`route "${cr.route.name}" has no ${kind} function`);
  const step = stepOf(kind, cr.route.name);
  const answer = answers.get(step);
  if (!answer) return { need: { step, kind, ref, route: cr.route.name, candidates } };
  return answer.ok ? { value: answer.value } : { failed: answer.reason };
}

export type DecisionDraft = Omit<Decision, 'explanation'>;
export interface ExplainContext {
  compiled: CompiledPolicy;
  task: Task;
  why: string;
  tried: RouteTrace[];
}
