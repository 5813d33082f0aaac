/**
 * Custom functions as steps of a pure decide(). decide() never calls a function itself: when a
 * route needs a function's answer it is not given, it stops and names the call it needs
 * (`FunctionRequest`); the caller runs the function (sandbox or remote, outside core), validates
 * the answer, and decides again with it. Replay feeds the recorded answers back, so the same
 * answers always give the same decision (invariant 3).
 */
import type { FunctionFallback, FunctionRef, Route } from './policy.js';

export type FunctionStepKind = 'match' | 'decide' | 'score';

/** An answer already validated for its kind, or why there is none (timeout, error, invalid). */
export type FunctionAnswer = { ok: true; value: unknown } | { ok: false; reason: string };

/** Answers by step (`match:<route>`, `decide:<route>`, `score:<route>`). */
export type FunctionAnswers = ReadonlyMap<string, FunctionAnswer>;

export interface FunctionRequest {
  step: string;
  kind: FunctionStepKind;
  ref: FunctionRef;
  route: string;
  /** Eligible candidates in the route's declared order (decide, score); empty for match. */
  candidates: string[];
}

export function stepOf(kind: FunctionStepKind, route: string): string {
  return `${kind}:${route}`;
}

export function formatRef(ref: FunctionRef): string {
  return `${ref.name}@${ref.version}`;
}

/** The fallback a route takes when its function fails: declared, or `config` (score, match) / `next_route` (decide). */
export function fallbackOf(route: Route, kind: FunctionStepKind): FunctionFallback {
  return route.onFunctionError ?? (kind === 'decide' ? { action: 'next_route' } : { action: 'config' });
}

/** Every function a policy pins, with the step kind it is used as. */
export function functionRefsOf(
  routes: readonly Route[],
): { kind: FunctionStepKind; ref: FunctionRef; route: string }[] {
  const refs: { kind: FunctionStepKind; ref: FunctionRef; route: string }[] = [];
  for (const r of routes) {
    if (r.match) refs.push({ kind: 'match', ref: r.match, route: r.name });
    if (r.function) refs.push({ kind: 'decide', ref: r.function, route: r.name });
    if (r.score) refs.push({ kind: 'score', ref: r.score, route: r.name });
  }
  return refs;
}

/** What a decide function may answer, once validated. */
export type DecideAnswer = null | { abstain: true } | { assignee: string } | { queue: string };
