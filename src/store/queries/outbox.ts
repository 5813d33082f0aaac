/**
 * The outbox worker's writes. A claimed row stays `pending` and is owned by one worker until
 * `lease_until`; every settling write is guarded by that lease, so a worker whose lease
 * expired (and whose row another worker took over) changes nothing.
 */
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { newId } from '../ids.js';
import type { ClaimedDelivery, OutboxRowDraft } from '../outbox-store.js';
import type { Database } from '../schema.js';
import { appendAudit } from './append-audit.js';
import { chunks } from './multi-row.js';

/** Like claimEvents: FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single writer makes the UPDATE atomic. */
export async function claimDeliveries(
  d: StoreDialect,
  owner: string,
  targets: string[],
  limit: number,
  leaseMs: number,
  now: Date,
): Promise<ClaimedDelivery[]> {
  const exact = targets.filter((t) => !t.endsWith(':'));
  const prefixes = targets.filter((t) => t.endsWith(':'));
  if (exact.length === 0 && prefixes.length === 0) return [];
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  const rows = await d.db
    .updateTable('outbox')
    .set({ lease_owner: owner, lease_until: leaseUntil, attempts: sql`attempts + 1` })
    .where((eb) =>
      eb(
        eb.refTuple('tenant_id', 'id'),
        'in',
        eb
          .selectFrom('outbox')
          .select(['tenant_id', 'id'])
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', nowIso)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', nowIso)]))
          .where((w) =>
            w.or([
              ...(exact.length > 0 ? [w('target', 'in', exact)] : []),
              // Prefixes are code constants like 'webhook:' (no LIKE wildcards in them).
              ...prefixes.map((p) => w('target', 'like', `${p}%`)),
            ]),
          )
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit)
          .$if(d.rowLocks, (q) => q.forUpdate().skipLocked())
          .$asTuple('tenant_id', 'id'),
      ),
    )
    .returning([
      'tenant_id',
      'id',
      'decision_id',
      'topic',
      'target',
      'idempotency_key',
      'payload',
      'attempts',
      'created_at',
    ])
    .execute();
  return rows
    .map((r) => ({
      tenantId: r.tenant_id,
      id: r.id,
      decisionId: r.decision_id,
      topic: r.topic,
      target: r.target,
      idempotencyKey: r.idempotency_key,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts,
      createdAt: r.created_at,
      leaseOwner: owner,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Guarded by the lease: the row is still pending and still ours. */
function leased(db: Kysely<Database> | Transaction<Database>, row: ClaimedDelivery) {
  return db
    .updateTable('outbox')
    .where('tenant_id', '=', row.tenantId)
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('lease_owner', '=', row.leaseOwner);
}

export interface OutboxWrite {
  parent: Pick<ClaimedDelivery, 'tenantId' | 'decisionId'>;
  drafts: OutboxRowDraft[];
  now: string;
}

/** Outbox rows, each owed by its parent (a decision, or a row it fans out from); the one place rows are written. */
export async function insertOutboxWrites(trx: Transaction<Database>, writes: OutboxWrite[]): Promise<void> {
  const values = writes.flatMap(({ parent, drafts, now }) => outboxRowsOf(parent, drafts, now));
  for (const chunk of chunks(values)) {
    await trx
      .insertInto('outbox')
      .values(chunk)
      // The same key twice (a fan-out repeated after a lost lease) is the same effect: once.
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .execute();
  }
}

/** Pending outbox rows for these drafts. */
function outboxRowsOf(
  parent: Pick<ClaimedDelivery, 'tenantId' | 'decisionId'>,
  drafts: OutboxRowDraft[],
  now: string,
): Insertable<Database['outbox']>[] {
  return drafts.map((o) => ({
    tenant_id: parent.tenantId,
    id: newId(),
    decision_id: parent.decisionId,
    topic: o.topic,
    target: o.target,
    idempotency_key: o.idempotencyKey,
    payload: JSON.stringify(o.payload),
    status: 'pending',
    next_attempt_at: now,
    created_at: o.createdAt ?? now,
  }));
}

/** Outbox rows owed by a decision (or fanned out from one of its rows), in one statement. */
export async function insertOutboxRows(
  trx: Transaction<Database>,
  parent: Pick<ClaimedDelivery, 'tenantId' | 'decisionId'>,
  drafts: OutboxRowDraft[],
  now: string,
): Promise<void> {
  await insertOutboxWrites(trx, [{ parent, drafts, now }]);
}

export interface Completion {
  row: ClaimedDelivery;
  now: string;
  then: OutboxRowDraft[];
}

const rowKey = (r: Pick<ClaimedDelivery, 'tenantId' | 'id'>) => `${r.tenantId}\u0000${r.id}`;

/**
 * Several completions in the caller's transaction: one guarded multi-row update (per 200 rows)
 * and one multi-row insert of their `then` rows. A row whose lease was lost (no longer pending,
 * or owned by someone else) is not updated, its `then` rows are not written, and its result is
 * false; the same row twice in one batch is true once (the first), as if settled in turn.
 *
 * `update … from (values …)`: each row keeps its own completion time, and both stores find
 * each row by its primary key (an IN list of row values makes SQLite scan every pending row).
 * A VALUES table's columns are column1, column2, … on SQLite and PostgreSQL alike.
 */
export async function completeDeliveries(trx: Transaction<Database>, items: Completion[]): Promise<boolean[]> {
  const firstOf = new Map<string, Completion>();
  for (const i of items) if (!firstOf.has(rowKey(i.row))) firstOf.set(rowKey(i.row), i);
  const delivered = new Set<string>();
  for (const chunk of chunks([...firstOf.values()])) {
    const values = sql.join(chunk.map((i) => sql`(${i.row.tenantId}, ${i.row.id}, ${i.row.leaseOwner}, ${i.now})`));
    const { rows } = await sql<{ tenant_id: string; id: string }>`
      update "outbox" set "status" = 'delivered', "delivered_at" = "v"."column4",
        "lease_owner" = null, "lease_until" = null, "last_error" = null
      from (values ${values}) as "v"
      where "outbox"."tenant_id" = "v"."column1" and "outbox"."id" = "v"."column2"
        and "outbox"."lease_owner" = "v"."column3" and "outbox"."status" = 'pending'
      returning "outbox"."tenant_id", "outbox"."id"`.execute(trx);
    for (const r of rows) delivered.add(rowKey({ tenantId: r.tenant_id, id: r.id }));
  }
  const results = items.map((i) => firstOf.get(rowKey(i.row)) === i && delivered.has(rowKey(i.row)));
  await insertOutboxWrites(
    trx,
    items.filter((_, n) => results[n]).map((i) => ({ parent: i.row, drafts: i.then, now: i.now })),
  );
  return results;
}

export async function retryDeliveryLater(
  d: StoreDialect,
  row: ClaimedDelivery,
  error: string,
  nextAttemptAt: string,
): Promise<boolean> {
  const r = await leased(d.db, row)
    .set({ next_attempt_at: nextAttemptAt, lease_owner: null, lease_until: null, last_error: error.slice(0, 2000) })
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The claim undone: attempts back to what they were, due at `nextAttemptAt` (a paused target). */
export async function postponeDelivery(d: StoreDialect, row: ClaimedDelivery, nextAttemptAt: string): Promise<boolean> {
  const r = await leased(d.db, row)
    .set({ next_attempt_at: nextAttemptAt, lease_owner: null, lease_until: null, attempts: sql`attempts - 1` })
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Inside an audited transaction (the tenant's audit head is already locked). */
export async function killDelivery(
  d: StoreDialect,
  trx: Transaction<Database>,
  row: ClaimedDelivery,
  reason: string,
  now: string,
  notice: OutboxRowDraft | null,
): Promise<boolean> {
  const r = await leased(trx, row)
    .set({ status: 'dead', lease_owner: null, lease_until: null, last_error: reason.slice(0, 2000) })
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  const deadLetterId = newId();
  await trx
    .insertInto('dead_letters')
    .values({ tenant_id: row.tenantId, id: deadLetterId, kind: 'delivery', ref_id: row.id, reason, created_at: now })
    .execute();
  await appendAudit(
    d,
    trx,
    row.tenantId,
    {
      kind: 'delivery.dead',
      subject: row.id,
      data: {
        deadLetterId,
        decisionId: row.decisionId,
        topic: row.topic,
        target: row.target,
        idempotencyKey: row.idempotencyKey,
        attempts: row.attempts,
        reason,
      },
    },
    now,
  );
  if (notice) await insertOutboxRows(trx, row, [notice], now);
  return true;
}
