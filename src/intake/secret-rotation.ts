/**
 * Rotating, listing and revoking an integration's secrets: shared by the API and the CLI.
 * A new secret's value is returned once, here, and never again; the store keeps it encrypted.
 */
import type { Integration } from '../config/model.js';
import { encryptSecret, generateSecret, secretKeyFromEnv } from '../crypto/secret-box.js';
import { newId } from '../store/ids.js';
import type { SecretStore } from '../store/secret-store.js';

export const DEFAULT_EXPIRE_OTHERS_IN_S = 24 * 60 * 60;

export interface RotatedSecret {
  id: string;
  /** Shown once. */
  secret: string;
  createdAt: string;
  /** When the integration's other stored secrets stop being accepted (at the latest). */
  expiresOthersAt: string;
  /** Secrets in the config: untouched by rotation, removed by editing the config. */
  configSecrets: number;
}

export interface SecretView {
  id: string;
  source: 'config' | 'stored';
  createdAt?: string;
  expiresAt?: string;
  revokedAt?: string;
  active: boolean;
}

interface Target {
  store: SecretStore;
  tenantId: string;
  integration: Integration;
  actor: string;
  /** Called after a change, to drop this node's cached secrets. */
  changed?: (tenantId: string, integrationId: string) => void;
}

/** Throws SecretKeyError when SWITCHYARD_SECRET_KEY is missing or malformed (nothing is written). */
export async function rotateSecret(
  t: Target,
  o: { expireOthersInSeconds?: number; now?: Date } = {},
): Promise<RotatedSecret> {
  const key = secretKeyFromEnv();
  const now = o.now ?? new Date();
  const id = newId();
  const secret = generateSecret(t.integration.type);
  const expireOthersAt = new Date(
    now.getTime() + (o.expireOthersInSeconds ?? DEFAULT_EXPIRE_OTHERS_IN_S) * 1000,
  ).toISOString();
  await t.store.rotateIntegrationSecret({
    tenantId: t.tenantId,
    integration: t.integration.id,
    id,
    encrypted: encryptSecret(key, [t.tenantId, t.integration.id, id], secret),
    expireOthersAt,
    actor: t.actor,
    now: now.toISOString(),
  });
  t.changed?.(t.tenantId, t.integration.id);
  return {
    id,
    secret,
    createdAt: now.toISOString(),
    expiresOthersAt: expireOthersAt,
    configSecrets: t.integration.secrets.length,
  };
}

export async function revokeSecret(t: Target, secretId: string, now = new Date()): Promise<boolean> {
  const result = await t.store.revokeIntegrationSecret({
    tenantId: t.tenantId,
    integration: t.integration.id,
    id: secretId,
    actor: t.actor,
    now: now.toISOString(),
  });
  if (result === 'revoked') t.changed?.(t.tenantId, t.integration.id);
  return result !== 'unknown';
}

/** Config secrets (ids `config:<index>`) then stored ones; never a value. */
export async function listSecrets(
  store: SecretStore,
  tenantId: string,
  integration: Integration,
  now = new Date(),
): Promise<SecretView[]> {
  const live = (expiresAt?: number) => expiresAt === undefined || expiresAt > now.getTime();
  const config: SecretView[] = integration.secrets.map((s, i) => ({
    id: `config:${i}`,
    source: 'config',
    ...(s.expiresAt === undefined ? {} : { expiresAt: new Date(s.expiresAt).toISOString() }),
    active: live(s.expiresAt),
  }));
  const stored: SecretView[] = (await store.listIntegrationSecrets(tenantId, integration.id)).map((r) => ({
    id: r.id,
    source: 'stored',
    createdAt: r.createdAt,
    ...(r.expiresAt === null ? {} : { expiresAt: r.expiresAt }),
    ...(r.revokedAt === null ? {} : { revokedAt: r.revokedAt }),
    active: r.revokedAt === null && live(r.expiresAt === null ? undefined : Date.parse(r.expiresAt)),
  }));
  return [...config, ...stored];
}
