/**
 * Recorded automatic decisions with everything decide() saw (task, snapshot, `now`), for
 * simulation and replay. Keyset pagination on the primary key (tenant_id, id): each page is an
 * index range scan that starts where the last one ended, so 100,000 decisions are read in pages
 * of a few hundred rows and never held at once. The window filters on created_at, which is
 * RFC 3339 UTC with milliseconds and so compares as text on both stores.
 */
import type { Kysely } from 'kysely';
import type { Candidate, RouteTrace, Snapshot, Task } from '../../core/index.js';
import type { Database } from '../schema.js';

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

export interface RecordedDecision {
  id: string;
  taskId: string;
  /** null for decisions the backlog made (a queued task decided again). */
  eventId: string | null;
  outcome: 'assigned' | 'queued';
  assignee: string | null;
  queue: string | null;
  route: string | null;
  strategy: string | null;
  policyVersion: string;
  inputHash: string;
  explanation: string;
  detail: RecordedDetail;
  snapshot: Snapshot;
  /** null for decisions recorded before migration 0008 (the task was not kept with the decision). */
  task: Task | null;
  createdAt: string;
}

export async function listRecordedDecisions(
  db: Kysely<Database>,
  tenantId: string,
  q: RecordedDecisionQuery,
): Promise<RecordedDecision[]> {
  const rows = await db
    .selectFrom('decisions')
    .select([
      'id',
      'task_id',
      'event_id',
      'outcome',
      'assignee',
      'queue',
      'route',
      'strategy',
      'policy_version',
      'input_hash',
      'explanation',
      'detail',
      'snapshot',
      'task',
      'created_at',
    ])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'auto')
    .$if(q.after !== undefined, (w) => w.where('id', '>', q.after as string))
    .$if(q.from !== undefined, (w) => w.where('created_at', '>=', q.from as string))
    .$if(q.to !== undefined, (w) => w.where('created_at', '<', q.to as string))
    .orderBy('id')
    .limit(q.limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    taskId: r.task_id,
    eventId: r.event_id,
    outcome: r.outcome as RecordedDecision['outcome'],
    assignee: r.assignee,
    queue: r.queue,
    route: r.route,
    strategy: r.strategy,
    policyVersion: r.policy_version,
    inputHash: r.input_hash,
    explanation: r.explanation,
    detail: JSON.parse(r.detail) as RecordedDetail,
    snapshot: JSON.parse(r.snapshot) as Snapshot,
    task: r.task === null ? null : (JSON.parse(r.task) as Task),
    createdAt: r.created_at,
  }));
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
