import type { Kysely } from 'kysely';

/**
 * Rotated signing secrets and tokens, next to the ones in the config. `secret` is encrypted
 * (AES-256-GCM under SWITCHYARD_SECRET_KEY, see src/crypto/secret-box.ts); a secret stops
 * being accepted after `expires_at` or once `revoked_at` is set.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('integration_secrets')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('integration', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addPrimaryKeyConstraint('integration_secrets_pk', ['tenant_id', 'integration', 'id'])
    .execute();
}
