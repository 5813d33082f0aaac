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

/** Outbox rows owed by a decision (or fanned out from one of its rows); the one place rows are written. */
export async function insertOutboxRows(
  trx: Transaction<Database>,
  parent: Pick<ClaimedDelivery, 'tenantId' | 'decisionId'>,
  drafts: OutboxRowDraft[],
  now: string,
): Promise<void> {
  if (drafts.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(outboxRowsOf(parent, drafts, now))
    // The same key twice (a fan-out repeated after a lost lease) is the same effect: once.
    .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
    .execute();
}

/** Pending outbox rows for these drafts (shared with buffered-writes.ts). */
export function outboxRowsOf(
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

export async function completeDelivery(
  trx: Transaction<Database>,
  row: ClaimedDelivery,
  now: string,
  then: OutboxRowDraft[],
): Promise<boolean> {
  const r = await leased(trx, row)
    .set({ status: 'delivered', delivered_at: now, lease_owner: null, lease_until: null, last_error: null })
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  await insertOutboxRows(trx, row, then, now);
  return true;
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
