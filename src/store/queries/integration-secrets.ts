/**
 * Rotated integration secrets: rotation (insert the new one, bound the others' expiry, audit)
 * and revocation, each in one transaction. The stored value is already encrypted by the
 * caller; it never goes into the audit trail.
 */
import type { Kysely, Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';
import type { SecretRevocation, SecretRotation, StoredSecretRow } from '../secret-store.js';
import { appendAudit } from './append-audit.js';

export async function rotateIntegrationSecret(
  d: StoreDialect,
  trx: Transaction<Database>,
  r: SecretRotation,
): Promise<string[]> {
  // The integration's other live stored secrets: each expires at expireOthersAt at the latest.
  const others = await trx
    .selectFrom('integration_secrets')
    .select('id')
    .where('tenant_id', '=', r.tenantId)
    .where('integration', '=', r.integration)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', r.expireOthersAt)]))
    .execute();
  const expired = others.map((o) => o.id);
  if (expired.length > 0) {
    await trx
      .updateTable('integration_secrets')
      .set({ expires_at: r.expireOthersAt })
      .where('tenant_id', '=', r.tenantId)
      .where('integration', '=', r.integration)
      .where('id', 'in', expired)
      .execute();
  }
  await trx
    .insertInto('integration_secrets')
    .values({
      tenant_id: r.tenantId,
      integration: r.integration,
      id: r.id,
      secret: r.encrypted,
      created_at: r.now,
      expires_at: null,
      revoked_at: null,
    })
    .execute();
  await appendAudit(
    d,
    trx,
    r.tenantId,
    {
      kind: 'secret.rotated',
      subject: r.id,
      data: { integration: r.integration, id: r.id, expiresOthersAt: r.expireOthersAt, expired, actor: r.actor },
    },
    r.now,
  );
  return expired;
}

/** 'revoked', 'already' (revoked before: nothing written) or 'unknown'. */
export async function revokeIntegrationSecret(
  d: StoreDialect,
  trx: Transaction<Database>,
  r: SecretRevocation,
): Promise<'revoked' | 'already' | 'unknown'> {
  const row = await trx
    .selectFrom('integration_secrets')
    .select('revoked_at')
    .where('tenant_id', '=', r.tenantId)
    .where('integration', '=', r.integration)
    .where('id', '=', r.id)
    .executeTakeFirst();
  if (!row) return 'unknown';
  if (row.revoked_at !== null) return 'already';
  await trx
    .updateTable('integration_secrets')
    .set({ revoked_at: r.now })
    .where('tenant_id', '=', r.tenantId)
    .where('integration', '=', r.integration)
    .where('id', '=', r.id)
    .execute();
  await appendAudit(
    d,
    trx,
    r.tenantId,
    { kind: 'secret.revoked', subject: r.id, data: { integration: r.integration, id: r.id, actor: r.actor } },
    r.now,
  );
  return 'revoked';
}

export async function listIntegrationSecrets(
  db: Kysely<Database>,
  tenantId: string,
  integration: string,
): Promise<StoredSecretRow[]> {
  const rows = await db
    .selectFrom('integration_secrets')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('integration', '=', integration)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    encrypted: r.secret,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  }));
}
