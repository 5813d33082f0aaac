import { sql } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { newId } from '../ids.js';
import type { InsertEventResult, NewEvent } from '../store.js';

/**
 * Group commit: the whole batch in one transaction, so one fsync covers every request that
 * arrived meanwhile. Each row is an upsert on the dedupe key: a duplicate (earlier, in this
 * batch, or concurrent on another node) increments `duplicates` on the stored row instead of
 * inserting, and is recognised because the returned id is not the one we minted.
 */
export async function insertEvents(d: StoreDialect, batch: NewEvent[]): Promise<InsertEventResult[]> {
  if (batch.length === 0) return [];
  return d.db.transaction().execute(async (trx) => {
    const results: InsertEventResult[] = [];
    for (const e of batch) {
      const id = newId();
      const row = await trx
        .insertInto('events')
        .values({
          tenant_id: e.tenantId,
          id,
          integration: e.integration,
          dedupe_key: e.dedupeKey,
          received_at: e.receivedAt,
          body: e.body,
          status: 'pending',
          lease_owner: null,
          lease_until: null,
          task_id: null,
          decision_id: null,
          error: null,
          processed_at: null,
        })
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'integration', 'dedupe_key'])
            .doUpdateSet({ duplicates: sql`events.duplicates + 1` }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      results.push(row.id === id ? { status: 'accepted', id } : { status: 'duplicate', id: row.id });
    }
    return results;
  });
}
