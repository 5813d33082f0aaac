import { sql } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { InsertEventResult, NewEvent } from '../event-store.js';
import { newId } from '../ids.js';

/**
 * Group commit: the whole batch in one transaction, so one fsync covers every request that
 * arrived meanwhile. Each row is an upsert on the dedupe key: a duplicate (earlier, in this
 * batch, or concurrent on another node) increments `duplicates` on the stored row instead of
 * inserting, and is recognised because the returned id is not the one we minted.
 * Rows are written in dedupe-key order (ids still minted in arrival order), so two batches
 * sharing keys lock them in the same order instead of deadlocking on PostgreSQL.
 */
export async function insertEvents(d: StoreDialect, batch: NewEvent[]): Promise<InsertEventResult[]> {
  if (batch.length === 0) return [];
  const ids = batch.map(() => newId());
  // Stable sort: within one key, the first in arrival order is the one accepted.
  const order = batch.map((_, i) => i).sort((a, b) => compareKeys(batch[a]!, batch[b]!));
  return d.db.transaction().execute((trx) =>
    d.transactions.run({ what: 'intake insert', detail: `${batch.length} events` }, async () => {
      const results: InsertEventResult[] = new Array(batch.length);
      for (const i of order) {
        const e = batch[i]!;
        const id = ids[i]!;
        const row = await trx
          .insertInto('events')
          .values({
            tenant_id: e.tenantId,
            id,
            integration: e.integration,
            dedupe_key: e.dedupeKey,
            received_at: e.receivedAt,
            body: e.body,
            meta: e.meta && Object.keys(e.meta).length ? JSON.stringify(e.meta) : null,
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
        results[i] = row.id === id ? { status: 'accepted', id } : { status: 'duplicate', id: row.id };
      }
      return results;
    }),
  );
}

function compareKeys(a: NewEvent, b: NewEvent): number {
  const ka = [a.tenantId, a.integration, a.dedupeKey];
  const kb = [b.tenantId, b.integration, b.dedupeKey];
  for (let j = 0; j < 3; j++) {
    if (ka[j]! < kb[j]!) return -1;
    if (ka[j]! > kb[j]!) return 1;
  }
  return 0;
}
