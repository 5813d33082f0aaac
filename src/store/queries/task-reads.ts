/** Tasks with their decisions and deliveries, as the API and the CLI read them. */
import type { Kysely } from 'kysely';
import { toDecisionRow, toTaskRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { Page } from '../shared.js';
import type { DecisionRow, DeliveryRow, TaskFilter, TaskRow } from '../task-store.js';
import { keysetPage } from './keyset-page.js';

/** Newest first (ids are time-ordered); `after`: the previous page's `next`. */
export function listTasks(db: Kysely<Database>, tenantId: string, f: TaskFilter): Promise<Page<TaskRow>> {
  return keysetPage(
    f.limit,
    (rows) =>
      db
        .selectFrom('tasks')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .$if(f.externalId !== undefined, (q) => q.where('external_id', '=', f.externalId as string))
        .$if(f.status !== undefined, (q) => q.where('status', '=', f.status as string))
        .$if(f.assignee !== undefined, (q) => q.where('assignee', '=', f.assignee as string))
        .$if(f.after !== undefined, (q) => q.where('id', '<', f.after as string))
        .orderBy('id', 'desc')
        .limit(rows)
        .execute(),
    toTaskRow,
    (t) => t.id,
  );
}

export async function getTask(db: Kysely<Database>, tenantId: string, taskId: string): Promise<TaskRow | undefined> {
  const r = await db
    .selectFrom('tasks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', taskId)
    .executeTakeFirst();
  return r && toTaskRow(r);
}

export async function tenantsWithTasks(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('tasks').select('tenant_id').distinct().orderBy('tenant_id').execute();
  return rows.map((r) => r.tenant_id);
}

export async function listDecisions(db: Kysely<Database>, tenantId: string, taskId: string): Promise<DecisionRow[]> {
  const rows = await db
    .selectFrom('decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('task_id', '=', taskId)
    .orderBy('id')
    .execute();
  return rows.map(toDecisionRow);
}

export async function getDecisions(
  db: Kysely<Database>,
  tenantId: string,
  decisionIds: string[],
): Promise<DecisionRow[]> {
  if (decisionIds.length === 0) return [];
  const rows = await db
    .selectFrom('decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', decisionIds)
    .execute();
  return rows.map(toDecisionRow);
}

export async function listDeliveries(
  db: Kysely<Database>,
  tenantId: string,
  decisionIds: string[],
): Promise<DeliveryRow[]> {
  if (decisionIds.length === 0) return [];
  const rows = await db
    .selectFrom('outbox')
    .select([
      'id',
      'decision_id',
      'topic',
      'target',
      'idempotency_key',
      'status',
      'attempts',
      'last_error',
      'next_attempt_at',
      'delivered_at',
    ])
    .where('tenant_id', '=', tenantId)
    .where('decision_id', 'in', decisionIds)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    decisionId: r.decision_id,
    topic: r.topic,
    target: r.target,
    idempotencyKey: r.idempotency_key,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    deliveredAt: r.delivered_at,
  }));
}
