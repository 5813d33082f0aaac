import { sql } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { ClaimedEvent } from '../event-store.js';

/**
 * Lease up to `limit` events that are pending (and past any retry backoff), or whose previous
 * lease expired (a worker died mid-way). PostgreSQL: FOR UPDATE SKIP LOCKED, so workers on several nodes never
 * claim the same row. SQLite: a single writer, so the UPDATE alone is atomic.
 */
export async function claimEvents(
  d: StoreDialect,
  owner: string,
  limit: number,
  leaseMs: number,
  now: Date,
): Promise<ClaimedEvent[]> {
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  const rows = await d.db
    .updateTable('events')
    .set({ status: 'processing', lease_owner: owner, lease_until: leaseUntil, attempts: sql`attempts + 1` })
    .where((eb) =>
      eb(
        eb.refTuple('tenant_id', 'id'),
        'in',
        eb
          .selectFrom('events')
          .select(['tenant_id', 'id'])
          // Literal, not bound: the planner must see it matches the partial index events_open_ix.
          .where(sql<boolean>`status in ('pending', 'processing')`)
          // pending: never tried, or its retry backoff (lease_until) has passed;
          // processing: its worker's lease expired (the worker died).
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', nowIso)]))
          .orderBy('id')
          .limit(limit)
          .$if(d.rowLocks, (q) => q.forUpdate().skipLocked())
          .$asTuple('tenant_id', 'id'),
      ),
    )
    .returning(['tenant_id', 'id', 'integration', 'received_at', 'body', 'meta', 'attempts'])
    .execute();
  return rows
    .map((r) => ({
      tenantId: r.tenant_id,
      id: r.id,
      integration: r.integration,
      receivedAt: r.received_at,
      body: r.body,
      meta: r.meta ? (JSON.parse(r.meta) as Record<string, string>) : {},
      attempts: r.attempts,
      leaseOwner: owner,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
