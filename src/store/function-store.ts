/**
 * Custom functions' part of the Store: immutable versions numbered per (tenant, name), and
 * each remote function's signing secret (ciphertext only, see src/intake/secret-box.ts).
 * Every method is scoped by tenant (invariant 7).
 */
import type { FunctionVersion } from '../functions/types.js';

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
  listFunctions(
    tenantId: string,
    q: FunctionPageQuery,
  ): Promise<{ items: FunctionVersionSummary[]; next: string | null }>;
  /** The versions of one name, newest first (`after`: a version number). */
  listFunctionVersions(
    tenantId: string,
    name: string,
    q: FunctionPageQuery,
  ): Promise<{ items: FunctionVersionSummary[]; next: string | null }>;
  getFunctionSecret(tenantId: string, name: string): Promise<StoredFunctionSecret | undefined>;
  /** Replace (or set) a name's secret, audited `function.secret.set` (never the secret itself). */
  setFunctionSecret(s: FunctionSecretChange): Promise<void>;
}
