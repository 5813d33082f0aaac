import type { Insertable, Transaction } from 'kysely';
import { canonicalJson } from '../../core/canonical-json.js';
import { entryHash, GENESIS_HASH } from '../../crypto/hash-chain.js';
import type { AuditDraft } from '../audit-store.js';
import type { StoreDialect } from '../dialect.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';

/**
 * Append one entry to the tenant's hash chain inside the caller's transaction. The tenant's
 * head row is locked (PostgreSQL) so concurrent commits on several nodes chain one after the
 * other; SQLite already serialises writers.
 */
export async function appendAudit(
  d: StoreDialect,
  trx: Transaction<Database>,
  tenantId: string,
  draft: AuditDraft,
  now: string,
): Promise<void> {
  const readHead = () =>
    trx
      .selectFrom('audit_heads')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', tenantId)
      .$if(d.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
  let head = await readHead();
  if (!head) {
    await trx
      .insertInto('audit_heads')
      .values({ tenant_id: tenantId, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    head = await readHead();
    if (!head) throw new Error(`audit head for tenant ${tenantId} vanished`);
  }
  const { row, hash } = auditRowOf(head, tenantId, draft, now);
  await trx.insertInto('audit_log').values(row).execute();
  await trx.updateTable('audit_heads').set({ seq: row.seq, hash }).where('tenant_id', '=', tenantId).execute();
}

/** The entry that follows `head` in the tenant's chain, and its hash (shared with buffered-writes.ts). */
export function auditRowOf(
  head: { seq: number | string; hash: string },
  tenantId: string,
  draft: AuditDraft,
  now: string,
): { row: Insertable<Database['audit_log']> & { seq: number }; hash: string } {
  const entry = {
    tenantId,
    seq: Number(head.seq) + 1,
    id: newId(),
    at: now,
    kind: draft.kind,
    subject: draft.subject,
    data: canonicalJson(draft.data),
  };
  const hash = entryHash(head.hash, entry);
  return {
    row: {
      tenant_id: tenantId,
      seq: entry.seq,
      id: entry.id,
      at: entry.at,
      kind: entry.kind,
      subject: entry.subject,
      data: entry.data,
      prev_hash: head.hash,
      hash,
    },
    hash,
  };
}

/**
 * The lock-order rule on PostgreSQL: a transaction that will append to a tenant's audit chain
 * takes the tenant's head row first, before any other row lock. Every such transaction then
 * locks head → rows, so none can wait on another in a cycle. (Without it, a pipeline batch
 * that has appended for one event holds the head while waiting for a member row that a
 * single commit holds while waiting for the head: a deadlock.) Several tenants' heads are
 * taken in id order. SQLite serialises writers, so there is nothing to order.
 */
export async function lockAuditHeads(d: StoreDialect, trx: Transaction<Database>, tenantIds: string[]): Promise<void> {
  if (!d.rowLocks) return;
  for (const tenantId of [...new Set(tenantIds)].sort()) {
    await trx
      .insertInto('audit_heads')
      .values({ tenant_id: tenantId, seq: 0, hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    await trx.selectFrom('audit_heads').select('seq').where('tenant_id', '=', tenantId).forUpdate().execute();
  }
}
