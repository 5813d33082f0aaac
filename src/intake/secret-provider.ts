/**
 * The secrets intake verifies against: the config's, plus the rotated ones in the store that
 * are not revoked (decrypted to the same SigningSecret shape; expiry is checked by the adapter
 * as for config secrets). Stored secrets are cached per integration for `ttlMs`, so a rotation
 * made on another node is picked up within seconds; on this node a rotation or revocation
 * invalidates the entry at once.
 */
import type { Integration, SigningSecret } from '../config/model.js';
import { decryptSecret, SecretKeyError, secretKeyFromEnv, toSigningSecret } from '../crypto/secret-box.js';
import type { SecretStore } from '../store/secret-store.js';

export const SECRET_CACHE_TTL_MS = 5_000;

interface Logger {
  warn(obj: object, msg: string): void;
}

interface Entry {
  at: number;
  secrets: Promise<SigningSecret[]>;
  /** The last successful load, used if a reload fails. */
  last?: SigningSecret[];
}

export class SecretProvider {
  private readonly cache = new Map<string, Entry>();
  private warnedKey = false;

  constructor(
    private readonly store: SecretStore,
    private readonly options: { ttlMs?: number; log?: Logger; now?: () => number } = {},
  ) {}

  /** The integration's secrets now: config first, then stored (revoked ones never). */
  async for(tenantId: string, integration: Integration): Promise<SigningSecret[]> {
    const stored = await this.stored(tenantId, integration);
    return stored.length === 0 ? integration.secrets : [...integration.secrets, ...stored];
  }

  /** Drop the cached stored secrets of one integration (after a rotation or revocation here). */
  invalidate(tenantId: string, integrationId: string): void {
    this.cache.delete(cacheKey(tenantId, integrationId));
  }

  private stored(tenantId: string, integration: Integration): Promise<SigningSecret[]> {
    const now = (this.options.now ?? Date.now)();
    const k = cacheKey(tenantId, integration.id);
    const hit = this.cache.get(k);
    if (hit && now - hit.at < (this.options.ttlMs ?? SECRET_CACHE_TTL_MS)) return hit.secrets;
    const entry: Entry = { at: now, secrets: Promise.resolve([]), last: hit?.last };
    entry.secrets = this.load(tenantId, integration).then(
      (secrets) => {
        entry.last = secrets;
        return secrets;
      },
      (e: unknown) => {
        // The store did not answer: keep verifying with what we had, and try again next time.
        if (this.cache.get(k) === entry) this.cache.delete(k);
        if (entry.last) return entry.last;
        throw e;
      },
    );
    this.cache.set(k, entry);
    return entry.secrets;
  }

  private async load(tenantId: string, integration: Integration): Promise<SigningSecret[]> {
    const rows = (await this.store.listIntegrationSecrets(tenantId, integration.id)).filter(
      (r) => r.revokedAt === null,
    );
    if (rows.length === 0) return [];
    let key: Buffer;
    try {
      key = secretKeyFromEnv();
    } catch (e) {
      if (!(e instanceof SecretKeyError)) throw e;
      if (!this.warnedKey) this.options.log?.warn({ tenant: tenantId }, `rotated secrets ignored: ${e.message}`);
      this.warnedKey = true;
      return [];
    }
    const out: SigningSecret[] = [];
    for (const r of rows) {
      try {
        const value = decryptSecret(key, [tenantId, integration.id, r.id], r.encrypted);
        out.push(toSigningSecret(integration.type, value, r.expiresAt));
      } catch {
        // Wrong key (it was changed) or an altered row: that secret is not accepted. Never log the value.
        this.options.log?.warn(
          { tenant: tenantId, integration: integration.id, secretId: r.id },
          'a stored secret does not decrypt under SWITCHYARD_SECRET_KEY; it is ignored',
        );
      }
    }
    return out;
  }
}

const cacheKey = (tenantId: string, integrationId: string) => `${tenantId}\0${integrationId}`;

const providers = new WeakMap<object, SecretProvider>();

/**
 * The one provider of a store, shared by intake and the API on this node (so a rotation made
 * through the API invalidates what intake verifies with). `options` apply on the first call.
 */
export function secretProviderFor(
  store: SecretStore,
  options?: ConstructorParameters<typeof SecretProvider>[1],
): SecretProvider {
  let p = providers.get(store);
  if (!p) {
    p = new SecretProvider(store, options);
    providers.set(store, p);
  }
  return p;
}
