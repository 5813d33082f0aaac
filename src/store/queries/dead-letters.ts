/**
 * Dead letters: the list (newest first), which tenants have some, and what an operator does
 * with one (retry, discard). Each change is audited in the caller's (audit-head-locked)
 * transaction.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { DeadLetterFilter, DeadLetterRow } from '../dead-letter-store.js';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';
import type { Page, TenantAction } from '../shared.js';
import { appendAudit } from './append-audit.js';
import { keysetPage } from './keyset-page.js';

export function listDeadLetters(
  db: Kysely<Database>,
  tenantId: string,
  limit: number,
  after?: string,
): Promise<Page<DeadLetterRow>> {
  return keysetPage(
    limit,
    (rows) =>
      db
        .selectFrom('dead_letters')
        .select(['id', 'kind', 'ref_id', 'reason', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .$if(after !== undefined, (q) => q.where('id', '<', after as string))
        .orderBy('id', 'desc')
        .limit(rows)
        .execute(),
    (r) => ({ id: r.id, kind: r.kind, refId: r.ref_id, reason: r.reason, createdAt: r.created_at }),
    (d) => d.id,
  );
}

export async function tenantsWithDeadLetters(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('dead_letters').select('tenant_id').distinct().orderBy('tenant_id').execute();
  return rows.map((r) => r.tenant_id);
}

/** Not scoped by tenant: ids are unique across tenants, and this is how an operator's bare id finds its tenant. */
export async function deadLetterTenant(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const r = await db.selectFrom('dead_letters').select('tenant_id').where('id', '=', id).executeTakeFirst();
  return r?.tenant_id;
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
