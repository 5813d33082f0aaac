/**
 * Custom functions: tenant code (sandboxed JavaScript/TypeScript) or a remote HTTP function,
 * called as a step inside a decision. Every function is a stored, immutable version; the
 * decision records which version ran, its content hash, how long it took and how it ended.
 */
import type { FunctionFallback } from '../core/index.js';

/** `name@version` and the route fallback are policy types, declared in core. */
export type { FunctionFallback, FunctionRef } from '../core/index.js';

export const FUNCTION_KINDS = ['decide', 'score', 'transform', 'match'] as const;
/**
 * - `decide`: `{ task, candidates, now }` → `{ assignee }`, `{ queue }` or `{ abstain: true }` (or null).
 * - `score`: `{ task, candidates, now }` → `{ scores: { [memberId]: number } }` (finite numbers).
 * - `transform`: `{ payload, now }` → Task fields (`{ externalId, title, … }`).
 * - `match`: `{ task, now }` → boolean.
 */
export type FunctionKind = (typeof FUNCTION_KINDS)[number];

export const FUNCTION_RUNTIMES = ['javascript', 'typescript', 'remote'] as const;
export type FunctionRuntime = (typeof FUNCTION_RUNTIMES)[number];

/** Which Task and Member fields a function may read; nothing else is passed in (invariant 9). */
export interface FieldAllowList {
  task: string[];
  member: string[];
}

export interface SandboxLimits {
  /** Wall-clock budget per call, in ms (the isolate is stopped when it runs out). */
  timeoutMs: number;
  /** Heap limit of the isolate, in MB. */
  memoryMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 50, memoryMb: 32 };

export interface RemoteSpec {
  url: string;
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** Extra attempts after a transient failure (connection error, timeout, 408, 429, 5xx). */
  retries: number;
}

export const DEFAULT_REMOTE = { timeoutMs: 2_000, retries: 1 } as const;

/** One immutable function version, as stored. */
export interface FunctionVersion {
  tenantId: string;
  name: string;
  /** 1, 2, 3… per (tenant, name). */
  version: number;
  kind: FunctionKind;
  runtime: FunctionRuntime;
  /** The source as uploaded (javascript or typescript); absent for remote functions. */
  source?: string;
  /** What actually runs: the source itself, or TypeScript with its types stripped. */
  code?: string;
  remote?: RemoteSpec;
  fields: FieldAllowList;
  /** JSON Schema the answer must satisfy, on top of the kind's own shape. */
  outputSchema?: Record<string, unknown>;
  limits: SandboxLimits;
  /** sha256 over the canonical JSON of everything above but tenant/version: what ran. */
  contentHash: string;
  author: string;
  message?: string;
  createdAt: string;
}

/** The JSON a function receives. Only allow-listed fields are present; secrets never are. */
export interface FunctionInput {
  task?: Record<string, unknown>;
  candidates?: Record<string, unknown>[];
  payload?: unknown;
  /** The decision's `now`, RFC 3339: the only clock a function has. */
  now: string;
}

export type RunOutcome = 'ok' | 'timeout' | 'error';

/** What one call produced, before the caller validates the value's shape. */
export interface FunctionRun {
  outcome: RunOutcome;
  value?: unknown;
  /** Why it did not end `ok`: a one-line, user-readable reason. */
  error?: string;
  /** console.log/info/warn/error lines, bounded. */
  logs: string[];
  durationMs: number;
}

/**
 * One function call as a decision records it (decision detail `functions`, audit
 * `functionVersions`). Replay feeds `value` back for remote functions and re-runs sandboxed
 * ones, so the same version decides the same way.
 */
export interface FunctionCallRecord {
  /** Which step asked: `match:<route>`, `decide:<route>`, `score:<route>` or `transform`. */
  step: string;
  name: string;
  version: number;
  contentHash: string;
  kind: FunctionKind;
  runtime: FunctionRuntime;
  /** `invalid`: it answered, but not in the shape its kind (or its schema) requires. */
  outcome: RunOutcome | 'invalid';
  durationMs: number;
  /** sha256 of the canonical JSON input it was given. */
  inputHash: string;
  /** The validated answer, when outcome is ok. */
  value?: unknown;
  error?: string;
  /** What the route did instead, when the call did not end ok. */
  fallback?: FunctionFallback;
}
