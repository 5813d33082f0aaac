/** Reading a tenant's audit chain (appending is append-audit.ts). */
import type { Kysely } from 'kysely';
import type { AuditRow } from '../audit-store.js';
import type { Database } from '../schema.js';

export async function readAudit(
  db: Kysely<Database>,
  tenantId: string,
  afterSeq: number,
  limit: number,
): Promise<AuditRow[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    kind: r.kind,
    subject: r.subject,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

export async function auditHead(
  db: Kysely<Database>,
  tenantId: string,
): Promise<{ seq: number; hash: string } | undefined> {
  const r = await db
    .selectFrom('audit_heads')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r && { seq: Number(r.seq), hash: r.hash };
}

export async function auditTenants(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('audit_heads').select('tenant_id').orderBy('tenant_id').execute();
  return rows.map((r) => r.tenant_id);
}
