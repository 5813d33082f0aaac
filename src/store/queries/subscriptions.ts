/**
 * Outbound webhook subscriptions. Each change is audited in the caller's (audit-head-locked)
 * transaction; a subscription's secret is stored encrypted and never enters the audit trail.
 */
import type { Kysely, Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';
import type { TenantAction } from '../shared.js';
import type { NewSubscription, SubscriptionRow } from '../subscription-store.js';
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
