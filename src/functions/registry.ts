/**
 * Function versions as immutable artefacts: upload (check, hash, number, audit), look up by
 * `name@version` through a cache, and each remote function's signing secret.
 *
 * Versions never change once written, so a looked-up version is cached for as long as it stays
 * among the most recently used (bounded LRU). A version that does not exist (a policy pinning
 * one not uploaded yet) is remembered as missing for a short time, so the pipeline does not
 * ask the store again for every event; an upload through this registry ends that at once.
 * Secrets can be replaced, so they are cached for a short time only.
 */
import { decryptSecret, encryptSecret, generateSecret, secretKeyFromEnv, signingKeyOf } from '../crypto/secret-box.js';
import type { FunctionStore } from '../store/function-store.js';
import { checkManifest } from './manifest.js';
import type { FunctionRef, FunctionVersion } from './types.js';

export interface UploadResult {
  version: FunctionVersion;
  /** false: the latest version already had this content, and it is returned instead. */
  created: boolean;
  /** The `whsec_` signing secret, only in the answer that created it (the name's first remote version). */
  secret?: string;
}

export interface FunctionRegistryOptions {
  clock?: () => Date;
  /** Versions kept in memory (default 1000). */
  cacheSize?: number;
  /** How long a decrypted secret is kept (default 30 s). */
  secretTtlMs?: number;
  /** How long a version found missing is not looked up again (default 5 s; an upload here clears it). */
  missingTtlMs?: number;
  /** Epoch ms for the secret cache (default Date.now). */
  now?: () => number;
  /** The key secrets are encrypted under (default: SWITCHYARD_SECRET_KEY, read when needed). */
  secretKey?: () => Buffer;
  /** Told of every version created here (serve passes it on to its pipeline thread's registry: forgetMissing). */
  onCreated?: (fn: FunctionVersion) => void;
}

/** Bound as associated data: a function secret row copied to another name or tenant does not decrypt. */
export const functionSecretWhere = (tenantId: string, name: string): [string, string, string] => [
  tenantId,
  'function',
  name,
];

export class FunctionRegistry {
  private readonly clock: () => Date;
  private readonly cacheSize: number;
  private readonly secretTtlMs: number;
  private readonly missingTtlMs: number;
  private readonly secretKey: () => Buffer;
  private readonly now: () => number;
  /** Insertion order is recency: a hit is deleted and set again. */
  private readonly versions = new Map<string, FunctionVersion>();
  /** Versions found missing, until when (epoch ms); bounded like the versions. */
  private readonly missing = new Map<string, number>();
  private readonly secrets = new Map<string, { key: Buffer | undefined; until: number }>();

  constructor(
    private readonly store: FunctionStore,
    private readonly options: FunctionRegistryOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.cacheSize = options.cacheSize ?? 1000;
    this.secretTtlMs = options.secretTtlMs ?? 30_000;
    this.missingTtlMs = options.missingTtlMs ?? 5_000;
    this.secretKey = options.secretKey ?? (() => secretKeyFromEnv());
    this.now = options.now ?? Date.now;
  }

  /**
   * Check the manifest (FunctionManifestError with every problem otherwise) and store it as the
   * next version, unless it is the latest version's content again. The first remote version of
   * a name gets a signing secret (SecretKeyError when SWITCHYARD_SECRET_KEY is not usable).
   */
  async upload(tenantId: string, manifest: unknown, author: string): Promise<UploadResult> {
    const { name, ...upload } = isObject(manifest) ? manifest : { name: undefined };
    const checked = checkManifest(name, isObject(manifest) ? upload : manifest);
    let secret: string | undefined;
    let encryptedSecret: string | undefined;
    if (checked.runtime === 'remote' && !(await this.store.getFunctionSecret(tenantId, checked.name))) {
      secret = generateSecret('generic');
      encryptedSecret = encryptSecret(this.secretKey(), functionSecretWhere(tenantId, checked.name), secret);
    }
    const r = await this.store.insertFunctionVersion({
      fn: { ...checked, tenantId, author },
      ...(encryptedSecret !== undefined ? { encryptedSecret } : {}),
      now: this.clock().toISOString(),
    });
    this.remember(r.version);
    if (r.status === 'unchanged') return { version: r.version, created: false };
    if (r.secretCreated) this.secrets.delete(`${tenantId}\0${checked.name}`);
    this.options.onCreated?.(r.version);
    return { version: r.version, created: true, ...(r.secretCreated && secret ? { secret } : {}) };
  }

  /** One version, from the cache when it has been seen before. */
  async get(tenantId: string, ref: FunctionRef): Promise<FunctionVersion | undefined> {
    const key = cacheKey(tenantId, ref.name, ref.version);
    const hit = this.versions.get(key);
    if (hit) {
      this.versions.delete(key);
      this.versions.set(key, hit);
      return hit;
    }
    const missingUntil = this.missing.get(key);
    if (missingUntil !== undefined && missingUntil > this.now()) return undefined;
    const fn = await this.store.getFunctionVersion(tenantId, ref.name, ref.version);
    if (fn) this.remember(fn);
    else {
      this.missing.delete(key);
      this.missing.set(key, this.now() + this.missingTtlMs);
      if (this.missing.size > this.cacheSize) this.missing.delete(this.missing.keys().next().value as string);
    }
    return fn;
  }

  /** The newest version of a name (not cached: a newer one may be uploaded at any time). */
  latest(tenantId: string, name: string): Promise<FunctionVersion | undefined> {
    return this.store.getLatestFunctionVersion(tenantId, name);
  }

  /**
   * The raw signing key of a remote function (the base64 part of its `whsec_` secret, decoded),
   * or undefined when the name has none. Throws SecretKeyError without a usable key.
   */
  async secretOf(tenantId: string, name: string): Promise<Buffer | undefined> {
    const key = `${tenantId}\0${name}`;
    const now = this.now();
    const hit = this.secrets.get(key);
    if (hit && hit.until > now) return hit.key;
    const stored = await this.store.getFunctionSecret(tenantId, name);
    const value = stored
      ? signingKeyOf('generic', decryptSecret(this.secretKey(), functionSecretWhere(tenantId, name), stored.encrypted))
      : undefined;
    this.secrets.set(key, { key: value, until: now + this.secretTtlMs });
    return value;
  }

  /** Another registry of this process created this version: look it (and the name's secret) up afresh. */
  forgetMissing(tenantId: string, name: string, version: number): void {
    this.missing.delete(cacheKey(tenantId, name, version));
    this.secrets.delete(`${tenantId}\0${name}`);
  }

  private remember(fn: FunctionVersion): void {
    const key = cacheKey(fn.tenantId, fn.name, fn.version);
    this.missing.delete(key);
    this.versions.delete(key);
    this.versions.set(key, fn);
    while (this.versions.size > this.cacheSize) {
      const oldest = this.versions.keys().next().value;
      if (oldest === undefined) break;
      this.versions.delete(oldest);
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const cacheKey = (tenantId: string, name: string, version: number) => `${tenantId}\0${name}\0${version}`;
