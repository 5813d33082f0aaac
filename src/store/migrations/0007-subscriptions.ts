import type { Kysely } from 'kysely';

/**
 * Outbound webhook subscriptions. `events` is a JSON array of topics ('*' = all); `secret` is
 * the `whsec_` signing secret, encrypted under SWITCHYARD_SECRET_KEY (src/crypto/secret-box.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscriptions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscriptions_pk', ['tenant_id', 'id'])
    .execute();
}
