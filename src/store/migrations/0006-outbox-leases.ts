import type { Kysely } from 'kysely';

/**
 * The outbox worker's lease (a claimed row stays `pending`, owned until `lease_until`; a worker
 * that died mid-delivery loses it and the row is claimed again), the last failure, and when
 * the row was delivered.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('lease_until', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('last_error', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('delivered_at', 'text').execute();
}
