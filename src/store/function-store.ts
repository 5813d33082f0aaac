/**
 * Custom functions' part of the Store: immutable versions numbered per (tenant, name), and
 * each remote function's signing secret (ciphertext only, see src/crypto/secret-box.ts).
 * Every method is scoped by tenant (invariant 7). The stored shapes are declared here;
 * src/functions/types.ts re-exports them with the behaviour around them.
 */
import type { Page } from './shared.js';

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

export interface RemoteSpec {
  url: string;
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** Extra attempts after a transient failure (connection error, timeout, 408, 429, 5xx). */
  retries: number;
}

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

/** A version without its source and code: what lists show. */
export type FunctionVersionSummary = Omit<FunctionVersion, 'source' | 'code'>;

export interface NewFunctionVersion {
  /** Everything but `version` and `createdAt`, which the store assigns. */
  fn: Omit<FunctionVersion, 'version' | 'createdAt'>;
  /**
   * The encrypted signing secret to keep for this name if it has none yet (the first remote
   * version). Ignored when the name already has one, or when nothing new is written.
   */
  encryptedSecret?: string;
  now: string;
}

export type FunctionInsertResult =
  /** A new version, with its audit entry; `secretCreated` when `encryptedSecret` was stored. */
  | { status: 'created'; version: FunctionVersion; secretCreated: boolean }
  /** The latest version already has this content hash: nothing was written. */
  | { status: 'unchanged'; version: FunctionVersion };

export interface FunctionPageQuery {
  limit: number;
  /** The `next` of the previous page. */
  after?: string;
}

export interface StoredFunctionSecret {
  /** Ciphertext: `v1:` + base64 (see secret-box.ts). Never the secret. */
  encrypted: string;
  createdAt: string;
}

export interface FunctionSecretChange {
  tenantId: string;
  name: string;
  encrypted: string;
  actor: string;
  now: string;
}

export interface FunctionStore {
  /**
   * In one audit-head-locked transaction: unless the latest version of the name has the same
   * content hash, insert version max + 1 with an audit entry `function.version.created`
   * (name, version, kind, runtime, contentHash, author; never source or secrets), and keep
   * `encryptedSecret` if the name has no secret yet.
   */
  insertFunctionVersion(v: NewFunctionVersion): Promise<FunctionInsertResult>;
  getFunctionVersion(tenantId: string, name: string, version: number): Promise<FunctionVersion | undefined>;
  getLatestFunctionVersion(tenantId: string, name: string): Promise<FunctionVersion | undefined>;
  /** Every name with its latest version, by name. */
  listFunctions(tenantId: string, q: FunctionPageQuery): Promise<Page<FunctionVersionSummary>>;
  /** The versions of one name, newest first (`after`: a version number). */
  listFunctionVersions(tenantId: string, name: string, q: FunctionPageQuery): Promise<Page<FunctionVersionSummary>>;
  getFunctionSecret(tenantId: string, name: string): Promise<StoredFunctionSecret | undefined>;
  /** Replace (or set) a name's secret, audited `function.secret.set` (never the secret itself). */
  setFunctionSecret(s: FunctionSecretChange): Promise<void>;
}
