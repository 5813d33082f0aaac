/**
 * Drives the pure decideStep() through a policy's custom functions: whenever it names a call it
 * needs, look the pinned version up, pass it only its declared fields, run it (sandbox or
 * remote), validate the answer for its kind, and decide again with the answer. Every call is
 * recorded — name, version, content hash, input hash, duration, outcome, answer and the
 * fallback its route took — so the decision can be explained and replayed.
 */
import { createHash } from 'node:crypto';
import {
  type CompiledPolicy,
  canonicalJson,
  type Decision,
  decideStep,
  type FunctionAnswer,
  type FunctionRequest,
  formatRef,
  functionRefsOf,
  type Roster,
  type Snapshot,
  type Task,
} from '../core/index.js';
import { memberFields, restrictInput } from './allow-list.js';
import type { FunctionHost } from './function-host.js';
import type { FunctionCallRecord, FunctionVersion } from './types.js';
import { validateOutput } from './validate-output.js';

/** The error of a remote call that replay or simulation would have needed but did not make. */
export const REMOTE_NOT_CALLED = 'remote functions are not called offline';
/** The error of a call a decision inside a transaction needed but had no answer for: its input moved since the call ahead. */
export const NOT_CALLED_IN_TRANSACTION =
  'its input changed after it was called ahead, and no function is called while a transaction is open';

/** Versions by `name@version`, looked up before a transaction (undefined: no such version). */
export type ResolvedFunctions = ReadonlyMap<string, FunctionVersion | undefined>;

export interface FunctionDecision {
  decision: Decision;
  /** In the order they were asked for; empty when the policy pins no function. */
  calls: FunctionCallRecord[];
  /** `inTransaction` only: a call was needed whose input moved since the call ahead (its route took the fallback). */
  stale?: true;
}

export interface DecideWithFunctionsOptions {
  tenantId: string;
  host: FunctionHost;
  /**
   * Calls already made for this decision (an earlier attempt, or the recorded decision in
   * replay). One is reused when its step, content hash and input hash all match.
   */
  known?: readonly FunctionCallRecord[];
  /** Replay and simulation never call remote functions: without a reusable record, the call fails. */
  offline?: boolean;
  /** Run sandboxed functions again even when a call can be reused (replay checks they still answer the same). */
  rerunSandboxed?: boolean;
  /** Look versions up here only, never through the host (resolvePinned, before a transaction). */
  versions?: ResolvedFunctions;
  /**
   * Inside a transaction: nothing is called, remote or sandboxed. A call that is not among
   * `known` ends as an error (NOT_CALLED_IN_TRANSACTION), its route takes its fallback, and
   * the result is marked `stale` so the caller may prepare the decision again instead.
   */
  inTransaction?: boolean;
}

/**
 * Every version a policy pins, looked up once (the registry caches versions, and misses for
 * a short while), so that a decision inside a transaction never reads the store for one.
 */
export async function resolvePinned(
  host: FunctionHost,
  tenantId: string,
  compiled: CompiledPolicy,
): Promise<ResolvedFunctions> {
  const versions = new Map<string, FunctionVersion | undefined>();
  for (const { ref } of functionRefsOf(compiled.policy.routes)) {
    const key = formatRef(ref);
    if (!versions.has(key)) versions.set(key, await host.lookup(tenantId, ref));
  }
  return versions;
}

export async function decideWithFunctions(
  task: Task,
  snapshot: Snapshot,
  compiled: CompiledPolicy,
  now: Date,
  options: DecideWithFunctionsOptions,
): Promise<FunctionDecision> {
  const answers = new Map<string, FunctionAnswer>();
  const calls: FunctionCallRecord[] = [];
  let stale = false;
  // Each round answers one step, and a policy has at most three steps per route.
  const maxRounds = compiled.routes.length * 3 + 1;
  for (let round = 0; round < maxRounds; round++) {
    const step = decideStep(task, snapshot, compiled, now, answers);
    if ('decision' in step)
      return { decision: step.decision, calls: withFallbacks(calls, step.decision), ...(stale ? { stale } : {}) };
    const record = await callFor(step.need, task, snapshot, compiled.roster, now, options);
    if (record.error === NOT_CALLED_IN_TRANSACTION) stale = true;
    calls.push(record);
    answers.set(
      step.need.step,
      record.outcome === 'ok'
        ? { ok: true, value: record.value }
        : { ok: false, reason: record.error ?? record.outcome },
    );
  }
  throw new Error(`decide asked for more than ${maxRounds} function answers`);
}

async function callFor(
  need: FunctionRequest,
  task: Task,
  snapshot: Snapshot,
  roster: Roster,
  now: Date,
  options: DecideWithFunctionsOptions,
): Promise<FunctionCallRecord> {
  const fn = options.versions
    ? options.versions.get(formatRef(need.ref))
    : await options.host.lookup(options.tenantId, need.ref);
  if (!fn) return missing(need);
  if (fn.kind !== need.kind) {
    return {
      ...identity(need, fn),
      outcome: 'error',
      durationMs: 0,
      inputHash: '',
      error: `is a ${fn.kind} function, not ${need.kind}`,
    };
  }
  const input = restrictInput(fn, {
    task: task as unknown as Record<string, unknown>,
    ...(need.kind === 'match' ? {} : { candidates: need.candidates.map((id) => candidateView(id, roster, snapshot)) }),
    now: now.toISOString(),
  });
  const inputHash = hashOf(input, 'built');
  const known = options.known?.find(
    (c) => c.step === need.step && c.contentHash === fn.contentHash && c.inputHash === inputHash,
  );
  // Same version, same input: the same answer (sandboxed code is deterministic; remote answers are recorded).
  if (known && !(options.rerunSandboxed && fn.runtime !== 'remote')) return stripFallback(known);
  if (options.inTransaction) {
    return { ...identity(need, fn), outcome: 'error', durationMs: 0, inputHash, error: NOT_CALLED_IN_TRANSACTION };
  }
  if (options.offline && fn.runtime === 'remote') {
    return {
      ...identity(need, fn),
      outcome: 'error',
      durationMs: 0,
      inputHash,
      error: REMOTE_NOT_CALLED,
    };
  }
  const run = await options.host.run(fn, input);
  const base = { ...identity(need, fn), durationMs: round(run.durationMs), inputHash };
  if (run.outcome !== 'ok') return { ...base, outcome: run.outcome, error: run.error ?? run.outcome };
  const valid = validateOutput(
    fn.kind,
    run.value,
    { candidateIds: need.candidates, memberIds: new Set(roster.members.keys()) },
    fn.outputSchema,
  );
  return valid.ok
    ? { ...base, outcome: 'ok', value: valid.value }
    : { ...base, outcome: 'invalid', error: valid.error };
}

/** Everything a function could know of a candidate; the allow-list then keeps only what it declared. */
function candidateView(id: string, roster: Roster, snapshot: Snapshot): Record<string, unknown> {
  const m = roster.members.get(id);
  return m ? memberFields(m, snapshot) : { id };
}

function identity(need: FunctionRequest, fn: FunctionVersion) {
  return {
    step: need.step,
    name: fn.name,
    version: fn.version,
    contentHash: fn.contentHash,
    kind: fn.kind,
    runtime: fn.runtime,
  };
}

function missing(need: FunctionRequest): FunctionCallRecord {
  return {
    step: need.step,
    name: need.ref.name,
    version: need.ref.version,
    contentHash: '',
    kind: need.kind,
    runtime: 'javascript',
    outcome: 'error',
    durationMs: 0,
    inputHash: '',
    error: `function ${formatRef(need.ref)} does not exist`,
  };
}

/** Attach the fallback each failed call's route took, as the decision traced it. */
function withFallbacks(calls: FunctionCallRecord[], decision: Decision): FunctionCallRecord[] {
  const byStep = new Map(decision.routesTried.flatMap((t) => (t.function ? [[t.function.step, t.function]] : [])));
  return calls.map((c) => {
    const trace = byStep.get(c.step);
    return trace ? { ...c, fallback: trace.fallback } : c;
  });
}

function stripFallback(record: FunctionCallRecord): FunctionCallRecord {
  const { fallback: _, ...rest } = record;
  return rest;
}

/**
 * sha256 of a function's input. `canonical` sorts keys at every level (about 25 µs for 20
 * candidates); `built` hashes JSON.stringify as is (about 5 µs), which is as stable for inputs
 * that restrictInput() builds: it writes the declared fields in their stored (sorted) order,
 * and nested values come from the stored task, snapshot and policy document, whose key order
 * survives the JSON round trip through the store. Measured in `npm run bench` (sandbox.perDecision).
 */
export function hashOf(value: unknown, order: 'canonical' | 'built' = 'canonical'): string {
  return createHash('sha256')
    .update(order === 'canonical' ? canonicalJson(value) : JSON.stringify(value))
    .digest('hex');
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
