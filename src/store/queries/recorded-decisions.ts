/**
 * Recorded automatic decisions with everything decide() saw (task, snapshot, `now`), for
 * simulation and replay. Keyset pagination on the primary key (tenant_id, id): each page is an
 * index range scan that starts where the last one ended, so 100,000 decisions are read in pages
 * of a few hundred rows and never held at once. The window filters on created_at, which is
 * RFC 3339 UTC with milliseconds and so compares as text on both stores.
 */
import type { Kysely } from 'kysely';
import type { Candidate, RouteTrace, Snapshot } from '../../core/index.js';
import { toDecisionRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { DecisionRow } from '../store.js';

export interface RecordedDecisionQuery {
  /** created_at ≥ from (RFC 3339 with milliseconds, UTC). */
  from?: string;
  /** created_at < to. */
  to?: string;
  /** Only ids greater than this (the last id of the previous page). */
  after?: string;
  limit: number;
}

/** What the decision's detail column holds: the candidates and routes tried, and custom function calls. */
export interface RecordedDetail {
  candidates: Candidate[];
  routesTried: RouteTrace[];
  escalated?: boolean;
  boost?: number;
  /** src/functions FunctionCallRecord: step, name, version, outcome, value, error … */
  functions?: Record<string, unknown>[];
}

/** An automatic decision as stored (DecisionRow), with its detail, snapshot and task typed for replay. */
export interface RecordedDecision
  extends Omit<DecisionRow, 'kind' | 'outcome' | 'detail' | 'snapshot' | 'supersedesId' | 'reason' | 'actor'> {
  outcome: 'assigned' | 'queued';
  detail: RecordedDetail;
  snapshot: Snapshot;
}

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
