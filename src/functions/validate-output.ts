/**
 * Is a function's answer usable? First its declared output schema (when there is one), then
 * the shape its kind promises (see FUNCTION_KINDS in types.ts). On success the value comes
 * back normalised and typed per kind; on failure, one user-readable line that starts with the
 * kind and names what was wrong, e.g. `score: "scores.m9" is not a candidate`.
 */
import { checkOutputSchema, schemaProblem } from './output-schema.js';
import type { FunctionKind } from './types.js';

export { checkOutputSchema };

/** `null` and `{ abstain: true }` both arrive as `{ abstain: true }`. */
export type DecideOutput =
  | { abstain: true; reason?: string }
  | { assignee: string; reason?: string }
  | { queue: string; reason?: string };

/** Only the candidates the function scored; see checkScore for the ones it left out. */
export interface ScoreOutput {
  scores: Record<string, number>;
  reason?: string;
}

/** Task fields; the caller checks them against the Task shape. */
export type TransformOutput = Record<string, unknown>;

export type MatchOutput = boolean;

export interface OutputByKind {
  decide: DecideOutput;
  score: ScoreOutput;
  transform: TransformOutput;
  match: MatchOutput;
}

/** A validated answer, discriminated by its function's kind. */
export type ValidatedOutput = { [K in FunctionKind]: { kind: K; value: OutputByKind[K] } }[FunctionKind];

export type OutputResult<K extends FunctionKind> = { ok: true; value: OutputByKind[K] } | { ok: false; error: string };

export interface OutputContext {
  /** The ids a `score` answer may name; without it any id is accepted. */
  candidateIds?: readonly string[];
  /** The ids a `decide` answer may assign to; without it any id is accepted. */
  memberIds?: ReadonlySet<string>;
}

export const MAX_QUEUE_LENGTH = 200;
export const MAX_ASSIGNEE_LENGTH = 200;
export const MAX_REASON_LENGTH = 1_000;

export function validateOutput<K extends FunctionKind>(
  kind: K,
  value: unknown,
  ctx: OutputContext = {},
  schema?: Record<string, unknown>,
): OutputResult<K> {
  if (schema) {
    const problem = schemaProblem(schema, value);
    if (problem) return fail(`${kind}: ${problem}`);
  }
  return checkKind(kind, value, ctx) as OutputResult<K>;
}

function checkKind(kind: FunctionKind, value: unknown, ctx: OutputContext): OutputResult<FunctionKind> {
  switch (kind) {
    case 'decide':
      return checkDecide(value, ctx);
    case 'score':
      return checkScore(value, ctx);
    case 'transform':
      return isPlainObject(value)
        ? { ok: true, value }
        : fail(`transform: expected an object of Task fields, got ${describe(value)}`);
    case 'match':
      return typeof value === 'boolean'
        ? { ok: true, value }
        : fail(`match: expected true or false, got ${describe(value)}`);
    default:
      return fail(`unknown function kind ${JSON.stringify(kind)}`);
  }
}

const DECIDE_CHOICES = ['assignee', 'queue', 'abstain'] as const;

function checkDecide(value: unknown, ctx: OutputContext): OutputResult<'decide'> {
  if (value === null) return { ok: true, value: { abstain: true } };
  if (!isPlainObject(value))
    return fail(`decide: expected { assignee }, { queue }, { abstain: true } or null, got ${describe(value)}`);
  const extra = unknownKey(value, [...DECIDE_CHOICES, 'reason']);
  if (extra !== undefined)
    return fail(`decide: unknown key ${quote(extra)} (allowed: assignee, queue, abstain, reason)`);
  const reason = checkReason('decide', value);
  if (typeof reason === 'object') return reason;
  const withReason = reason === undefined ? {} : { reason };

  const given = DECIDE_CHOICES.filter((k) => value[k] !== undefined);
  if (given.length === 0) return fail('decide: expected one of assignee, queue or abstain');
  if (given.length > 1) return fail(`decide: give only one of assignee, queue or abstain, not ${given.join(' and ')}`);

  if (given[0] === 'abstain') {
    if (value.abstain !== true) return fail('decide: "abstain" must be true (to decide, give assignee or queue)');
    return { ok: true, value: { abstain: true, ...withReason } };
  }
  if (given[0] === 'queue') {
    const q = value.queue;
    if (typeof q !== 'string' || q.length === 0 || q.length > MAX_QUEUE_LENGTH)
      return fail(`decide: "queue" must be a non-empty string of at most ${MAX_QUEUE_LENGTH} characters`);
    return { ok: true, value: { queue: q, ...withReason } };
  }
  const a = value.assignee;
  if (typeof a !== 'string' || a.length === 0 || a.length > MAX_ASSIGNEE_LENGTH)
    return fail(`decide: "assignee" must be a non-empty member id of at most ${MAX_ASSIGNEE_LENGTH} characters`);
  if (ctx.memberIds && !ctx.memberIds.has(a)) return fail(`decide: assignee ${quote(a)} is not a known member`);
  return { ok: true, value: { assignee: a, ...withReason } };
}

/**
 * Every id in `scores` must be a candidate, and every score a finite number. A candidate the
 * function left out is allowed: it counts as not scored, and the caller excludes it from the
 * choice (it does not get a default score of 0).
 */
function checkScore(value: unknown, ctx: OutputContext): OutputResult<'score'> {
  if (!isPlainObject(value)) return fail(`score: expected { scores: { <member id>: number } }, got ${describe(value)}`);
  const extra = unknownKey(value, ['scores', 'reason']);
  if (extra !== undefined) return fail(`score: unknown key ${quote(extra)} (allowed: scores, reason)`);
  const reason = checkReason('score', value);
  if (typeof reason === 'object') return reason;
  const scores = value.scores;
  if (!isPlainObject(scores))
    return fail(`score: "scores" must be an object of member id → number, got ${describe(scores)}`);
  const candidates = ctx.candidateIds ? new Set(ctx.candidateIds) : undefined;
  const out: Record<string, number> = {};
  for (const [id, score] of Object.entries(scores)) {
    if (candidates && !candidates.has(id)) return fail(`score: ${quote(`scores.${id}`)} is not a candidate`);
    if (typeof score !== 'number' || !Number.isFinite(score))
      return fail(`score: ${quote(`scores.${id}`)} must be a finite number, got ${describe(score)}`);
    Object.defineProperty(out, id, { value: score, enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, value: reason === undefined ? { scores: out } : { scores: out, reason } };
}

/** The optional `reason`: a string (kept for the explanation), an error, or undefined. */
function checkReason(kind: string, value: Record<string, unknown>): string | { ok: false; error: string } | undefined {
  const r = value.reason;
  if (r === undefined) return undefined;
  if (typeof r !== 'string' || r.length > MAX_REASON_LENGTH)
    return fail(`${kind}: "reason" must be a string of at most ${MAX_REASON_LENGTH} characters`);
  return r;
}

function unknownKey(value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(value).find((k) => !allowed.includes(k));
}

/** A plain data object (from JSON.parse, an object literal or another realm), not an array, null, Date… */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === '[object Object]';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const t = typeof v;
  return t === 'object' ? 'an object' : `a${/^[aeiou]/.test(t) ? 'n' : ''} ${t}`;
}

/** A user-supplied string inside a one-line message: JSON-quoted (escapes newlines), clipped. */
function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
