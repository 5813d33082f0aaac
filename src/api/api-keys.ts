/**
 * API keys: `sy_<id>_<secret>`. Only SHA-256 of the secret is stored (the secret is 32 random
 * bytes, so a fast hash is enough; no password stretching needed). Each key belongs to one
 * tenant, and the tenant is taken from the key, never from the request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../store/ids.js';
import type { KeyStore } from '../store/key-store.js';

export interface ApiPrincipal {
  tenantId: string;
  keyId: string;
  /** Extra permissions beyond the tenant's ordinary API (see API_KEY_SCOPES). */
  scopes: string[];
}

/** Scopes a key may carry. `policy:approve`: approve policy versions others made (docs/policy-versions.md). */
export const API_KEY_SCOPES = ['policy:approve'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const KEY_PATTERN = /^sy_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createApiKey(
  store: KeyStore,
  tenantId: string,
  name: string,
  scopes: string[] = [],
): Promise<{ id: string; key: string }> {
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`unknown scope ${unknown.join(', ')} (known: ${API_KEY_SCOPES.join(', ')})`);
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  await store.insertApiKey(tenantId, id, name, hashSecret(secret), new Date().toISOString(), [...new Set(scopes)]);
  return { id, key: `sy_${id}_${secret}` };
}

/** The principal for a bearer key, or null for anything malformed, unknown, revoked or wrong. */
export async function authenticate(store: KeyStore, authorization: string | undefined): Promise<ApiPrincipal | null> {
  const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
  const parts = match ? KEY_PATTERN.exec(match[1] as string) : null;
  if (!parts) return null;
  const [, id, secret] = parts as unknown as [string, string, string];
  const row = await store.findApiKey(id);
  if (!row || row.revoked) return null;
  const expected = Buffer.from(row.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual)
    ? { tenantId: row.tenantId, keyId: id, scopes: row.scopes }
    : null;
}
