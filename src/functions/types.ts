/**
 * Custom functions: tenant code (sandboxed JavaScript/TypeScript) or a remote HTTP function,
 * called as a step inside a decision. Every function is a stored, immutable version; the
 * decision records which version ran, its content hash, how long it took and how it ended.
 */
import type { FunctionFallback } from '../core/index.js';
import type { FunctionKind, FunctionRuntime, SandboxLimits } from '../store/function-store.js';

/** `name@version` and the route fallback are policy types, declared in core. */
export type { FunctionFallback, FunctionRef } from '../core/index.js';
/** What a stored version is made of: declared by the store, which keeps them. */
export type {
  FieldAllowList,
  FunctionKind,
  FunctionRuntime,
  FunctionVersion,
  RemoteSpec,
  SandboxLimits,
} from '../store/function-store.js';
export { FUNCTION_KINDS, FUNCTION_RUNTIMES } from '../store/function-store.js';

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 50, memoryMb: 32 };

export const DEFAULT_REMOTE = { timeoutMs: 2_000, retries: 1 } as const;

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
