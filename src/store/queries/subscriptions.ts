/**
 * Outbound webhook subscriptions, and what an operator does with a dead letter (retry,
 * discard). Each change is audited in the caller's (audit-head-locked) transaction; a
 * subscription's secret is stored encrypted and never enters the audit trail.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { DeadLetterFilter, NewSubscription, SubscriptionRow, TenantAction } from '../outbox-store.js';
import type { Database } from '../schema.js';
import { appendAudit } from './append-audit.js';

export async function createSubscription(d: StoreDialect, trx: Transaction<Database>, s: NewSubscription) {
  await trx
    .insertInto('subscriptions')
    .values({
      tenant_id: s.tenantId,
      id: s.id,
      url: s.url,
      events: JSON.stringify(s.events),
      secret: s.encryptedSecret,
      created_at: s.now,
    })
    .execute();
  await appendAudit(
    d,
    trx,
    s.tenantId,
    { kind: 'subscription.created', subject: s.id, data: { url: s.url, events: s.events, actor: s.actor } },
    s.now,
  );
}

export async function deleteSubscription(d: StoreDialect, trx: Transaction<Database>, a: TenantAction) {
  const r = await trx
    .deleteFrom('subscriptions')
    .where('tenant_id', '=', a.tenantId)
    .where('id', '=', a.id)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) return false;
  await appendAudit(
    d,
    trx,
    a.tenantId,
    { kind: 'subscription.deleted', subject: a.id, data: { actor: a.actor } },
    a.now,
  );
  return true;
}

export async function listSubscriptions(db: Kysely<Database>, tenantId: string, id?: string) {
  const rows = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if(id !== undefined, (q) => q.where('id', '=', id as string))
    .orderBy('id')
    .execute();
  return rows.map(
    (r): SubscriptionRow => ({
      id: r.id,
      url: r.url,
      events: JSON.parse(r.events) as string[],
      encryptedSecret: r.secret,
      createdAt: r.created_at,
    }),
  );
}

async function deadLetter(trx: Transaction<Database>, a: TenantAction) {
  return trx
    .selectFrom('dead_letters')
    .selectAll()
    .where('tenant_id', '=', a.tenantId)
    .where('id', '=', a.id)
    .executeTakeFirst();
}

export async function retryDeadLetter(
  d: StoreDialect,
  trx: Transaction<Database>,
  a: TenantAction,
): Promise<'retried' | 'not_found' | 'event'> {
  const dl = await deadLetter(trx, a);
  if (!dl) return 'not_found';
  if (dl.kind !== 'delivery') return 'event';
  const r = await trx
    .updateTable('outbox')
    .set({ status: 'pending', attempts: 0, next_attempt_at: a.now, lease_owner: null, lease_until: null })
    .where('tenant_id', '=', a.tenantId)
    .where('id', '=', dl.ref_id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return 'not_found';
  await trx.deleteFrom('dead_letters').where('tenant_id', '=', a.tenantId).where('id', '=', a.id).execute();
  await appendAudit(
    d,
    trx,
    a.tenantId,
    { kind: 'delivery.retried', subject: dl.ref_id, data: { deadLetterId: a.id, reason: dl.reason, actor: a.actor } },
    a.now,
  );
  return 'retried';
}

/** Bulk retry: each matching delivery dead letter as retryDeadLetter does it (one audit entry each). */
export async function retryDeadLetters(
  d: StoreDialect,
  trx: Transaction<Database>,
  f: DeadLetterFilter,
): Promise<number> {
  const { target, since } = filterOf(f);
  const rows = await trx
    .selectFrom('dead_letters as dl')
    .innerJoin('outbox as o', (j) => j.onRef('o.tenant_id', '=', 'dl.tenant_id').onRef('o.id', '=', 'dl.ref_id'))
    .select('dl.id')
    .where('dl.tenant_id', '=', f.tenantId)
    .where('dl.kind', '=', 'delivery')
    .where('o.status', '=', 'dead')
    .$if(since !== undefined, (q) => q.where('dl.created_at', '>=', since as string))
    .$if(target !== undefined, (q) =>
      q.where((w) =>
        w.or([
          w('o.target', '=', target as string),
          // A name (`webhook`) matches its `webhook:<id>` rows; substr, not LIKE, so no wildcards.
          w(
            sql<string>`substr(${sql.ref('o.target')}, 1, ${sql.lit((target as string).length + 1)})`,
            '=',
            `${target}:`,
          ),
        ]),
      ),
    )
    .orderBy('dl.id')
    .limit(f.limit)
    .execute();
  let n = 0;
  for (const { id } of rows) {
    const r = await retryDeadLetter(d, trx, { tenantId: f.tenantId, id, actor: f.actor, now: f.now });
    if (r === 'retried') n++;
  }
  return n;
}

function filterOf(f: DeadLetterFilter) {
  return { target: f.target, since: f.since === undefined ? undefined : new Date(f.since).toISOString() };
}

export async function discardDeadLetter(
  d: StoreDialect,
  trx: Transaction<Database>,
  a: TenantAction,
): Promise<'discarded' | 'not_found'> {
  const dl = await deadLetter(trx, a);
  if (!dl) return 'not_found';
  await trx.deleteFrom('dead_letters').where('tenant_id', '=', a.tenantId).where('id', '=', a.id).execute();
  await appendAudit(
    d,
    trx,
    a.tenantId,
    {
      kind: 'dead_letter.discarded',
      subject: dl.ref_id,
      data: { deadLetterId: a.id, kind: dl.kind, reason: dl.reason, actor: a.actor },
    },
    a.now,
  );
  return 'discarded';
}
