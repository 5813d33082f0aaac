import { type Kysely, sql } from 'kysely';

/**
 * Claims look only at open events. A partial index over them stays small however many
 * decided events pile up, and hands them out in id order without a sort; it replaces the
 * (status, id) index, which the claim's OR over two statuses could not use well.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('events_open_ix')
    .on('events')
    .column('id')
    .where(sql.raw<boolean>("status in ('pending', 'processing')"))
    .execute();
  await db.schema.dropIndex('events_claim_ix').execute();
}
