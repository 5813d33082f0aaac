/**
 * Recorded automatic decisions with everything decide() saw (task, snapshot, `now`), for
 * simulation and replay. Keyset pagination on the primary key (tenant_id, id): each page is an
 * index range scan that starts where the last one ended, so 100,000 decisions are read in pages
 * of a few hundred rows and never held at once. The window filters on created_at, which is
 * RFC 3339 UTC with milliseconds and so compares as text on both stores.
 */
import type { Kysely } from 'kysely';
import type { RecordedDecision, RecordedDecisionQuery } from '../recorded-decision-store.js';
import { toDecisionRow } from '../rows.js';
import type { Database } from '../schema.js';

export async function listRecordedDecisions(
  db: Kysely<Database>,
  tenantId: string,
  q: RecordedDecisionQuery,
): Promise<RecordedDecision[]> {
  const rows = await db
    .selectFrom('decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'auto')
    .$if(q.after !== undefined, (w) => w.where('id', '>', q.after as string))
    .$if(q.from !== undefined, (w) => w.where('created_at', '>=', q.from as string))
    .$if(q.to !== undefined, (w) => w.where('created_at', '<', q.to as string))
    .orderBy('id')
    .limit(q.limit)
    .execute();
  // Automatic decisions always have an outcome of assigned or queued, a detail and a snapshot.
  return rows.map((r) => toDecisionRow(r) as unknown as RecordedDecision);
}

/** Tenants that have automatic decisions (for `replay --verify` without --tenant). */
export async function tenantsWithDecisions(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('decisions')
    .select('tenant_id')
    .where('kind', '=', 'auto')
    .distinct()
    .orderBy('tenant_id')
    .execute();
  return rows.map((r) => r.tenant_id);
}
