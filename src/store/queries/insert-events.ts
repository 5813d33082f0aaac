import { sql } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { InsertEventResult, NewEvent } from '../event-store.js';
import { newId } from '../ids.js';

/** Columns each inserted row binds (one parameter each). */
const COLUMNS = 12;
/** Besides the parameter limit, keep one statement's bodies to a few MB (one PostgreSQL message). */
const MAX_CHUNK_BODY_CHARS = 8 * 1024 * 1024;

/** The batch's events of one dedupe key: the first in arrival order, and how many more came with it. */
interface KeyGroup {
  key: string;
  first: number;
  extra: number;
}

/**
 * Group commit: the whole batch in one transaction, so one fsync covers every request that
 * arrived meanwhile, and in as few statements as the parameter limit allows: one multi-row
 * upsert on the dedupe key per chunk.
 *
 * Duplicates within the batch are resolved here first (PostgreSQL refuses a statement that
 * would affect one conflict key twice): the first of each key in arrival order is the row
 * written, carrying how many others came with it in `duplicates`; a key already stored
 * (earlier, or concurrently on another node) gets `duplicates + 1 + those` instead and keeps
 * its row. An event is accepted if the id the store returns for its key is the one minted for
 * it; RETURNING rows are matched back by key, never by position.
 * Rows are written in dedupe-key order (ids still minted in arrival order), so two batches
 * sharing keys lock them in the same order instead of deadlocking on PostgreSQL.
 */
export async function insertEvents(d: StoreDialect, batch: NewEvent[]): Promise<InsertEventResult[]> {
  if (batch.length === 0) return [];
  const ids = batch.map(() => newId());
  const groupOf: KeyGroup[] = new Array(batch.length);
  const groups = new Map<string, KeyGroup>();
  for (const [i, e] of batch.entries()) {
    const key = keyOf(e.tenantId, e.integration, e.dedupeKey);
    let g = groups.get(key);
    if (g) g.extra++;
    else {
      g = { key, first: i, extra: 0 };
      groups.set(key, g);
    }
    groupOf[i] = g;
  }
  const rows = [...groups.values()].sort((a, b) => compareKeys(batch[a.first]!, batch[b.first]!));
  return d.db.transaction().execute((trx) =>
    d.transactions.run({ what: 'intake insert', detail: `${batch.length} events` }, async () => {
      const stored = new Map<string, string>();
      for (const chunk of chunks(rows, batch, Math.floor(d.maxParameters / COLUMNS))) {
        const returned = await trx
          .insertInto('events')
          .values(
            chunk.map((g) => {
              const e = batch[g.first]!;
              return {
                tenant_id: e.tenantId,
                id: ids[g.first]!,
                integration: e.integration,
                dedupe_key: e.dedupeKey,
                received_at: e.receivedAt,
                body: e.body,
                meta: e.meta && Object.keys(e.meta).length ? JSON.stringify(e.meta) : null,
                // Leased at insert: what claimEvents would have set for a first attempt.
                status: e.lease ? 'processing' : 'pending',
                lease_owner: e.lease?.owner ?? null,
                lease_until: e.lease?.until ?? null,
                attempts: e.lease ? 1 : 0,
                duplicates: g.extra,
              };
            }),
          )
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'integration', 'dedupe_key'])
              .doUpdateSet({ duplicates: sql`events.duplicates + excluded.duplicates + 1` }),
          )
          .returning(['tenant_id', 'integration', 'dedupe_key', 'id'])
          .execute();
        for (const r of returned) stored.set(keyOf(r.tenant_id, r.integration, r.dedupe_key), r.id);
      }
      return batch.map((_, i): InsertEventResult => {
        const g = groupOf[i]!;
        const id = stored.get(g.key);
        if (id === undefined) throw new Error(`the event insert returned no row for dedupe key ${g.key}`);
        return i === g.first && id === ids[i] ? { status: 'accepted', id } : { status: 'duplicate', id };
      });
    }),
  );
}

/** Runs of rows within the parameter limit and the body budget (a row alone may exceed the latter). */
function* chunks(rows: KeyGroup[], batch: NewEvent[], maxRows: number): Generator<KeyGroup[]> {
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let chars = 0;
    while (end < rows.length && end - start < maxRows) {
      chars += batch[rows[end]!.first]!.body.length;
      if (end > start && chars > MAX_CHUNK_BODY_CHARS) break;
      end++;
    }
    yield rows.slice(start, end);
    start = end;
  }
}

const keyOf = (tenantId: string, integration: string, dedupeKey: string) =>
  JSON.stringify([tenantId, integration, dedupeKey]);

function compareKeys(a: NewEvent, b: NewEvent): number {
  const ka = [a.tenantId, a.integration, a.dedupeKey];
  const kb = [b.tenantId, b.integration, b.dedupeKey];
  for (let j = 0; j < 3; j++) {
    if (ka[j]! < kb[j]!) return -1;
    if (ka[j]! > kb[j]!) return 1;
  }
  return 0;
}
