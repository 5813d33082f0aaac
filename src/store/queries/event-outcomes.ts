import type { Transaction } from 'kysely';
import type { Task } from '../../core/index.js';
import type { StoreDialect } from '../dialect.js';
import type { ClaimedEvent } from '../event-store.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import type { TaskRow } from '../task-store.js';
import { appendAudit } from './append-audit.js';
import { finishEvent } from './commit-decision.js';

/** Invariant 1's other exit: the event is kept, marked dead, listed with its reason, audited. */
export async function deadLetterEvent(
  d: StoreDialect,
  trx: Transaction<Database>,
  event: ClaimedEvent,
  reason: string,
  now: string,
): Promise<void> {
  await finishEvent(trx, event, 'dead', { error: reason, now });
  const id = newId();
  await trx
    .insertInto('dead_letters')
    .values({ tenant_id: event.tenantId, id, kind: 'event', ref_id: event.id, reason, created_at: now })
    .execute();
  await appendAudit(
    d,
    trx,
    event.tenantId,
    { kind: 'event.dead', subject: event.id, data: { deadLetterId: id, integration: event.integration, reason } },
    now,
  );
}

/** A later event about a task we already routed updates its fields and keeps its assignment. */
export async function mergeIntoTask(
  d: StoreDialect,
  trx: Transaction<Database>,
  event: ClaimedEvent,
  existing: TaskRow,
  task: Task,
  now: string,
): Promise<void> {
  await finishEvent(trx, event, 'merged', { task_id: existing.id, decision_id: existing.currentDecisionId, now });
  await trx
    .updateTable('tasks')
    .set({ title: task.title, priority: task.priority ?? null, task: JSON.stringify(task), updated_at: now })
    .where('tenant_id', '=', event.tenantId)
    .where('id', '=', existing.id)
    .execute();
  await appendAudit(
    d,
    trx,
    event.tenantId,
    { kind: 'task.updated', subject: existing.id, data: { eventId: event.id, before: existing.task, after: task } },
    now,
  );
}

/** Give the event back (unexpected error or shutdown): claimable again from `retryAt` on. */
export async function releaseEvent(d: StoreDialect, event: ClaimedEvent, error: string, retryAt: Date): Promise<void> {
  await d.db
    .updateTable('events')
    .set({ status: 'pending', lease_owner: null, lease_until: retryAt.toISOString(), error })
    .where('tenant_id', '=', event.tenantId)
    .where('id', '=', event.id)
    .where('lease_owner', '=', event.leaseOwner)
    .execute();
}
