/**
 * Events that act on an existing task instead of creating one: the source closed or cancelled
 * it, a person assigned it at the source, or the delivery means nothing to route on. Each ends
 * the event as `applied` (pointing at the task and its current decision) or `ignored` (with
 * the reason), in the caller's transaction.
 */
import type { Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { TaskStateConflict } from '../errors.js';
import type { ClaimedEvent } from '../event-store.js';
import type { EventCloseAction, EventOverrideAction } from '../pipeline-store.js';
import type { Database } from '../schema.js';
import { finishEvent } from './commit-decision.js';
import { commitOverride } from './commit-override.js';
import { transitionTask } from './task-lifecycle.js';

export type EventActionOutcome = 'applied' | 'ignored';

export async function ignoreEvent(
  trx: Transaction<Database>,
  event: ClaimedEvent,
  reason: string,
  now: string,
): Promise<void> {
  await finishEvent(trx, event, 'ignored', { error: reason, now });
}

async function taskFor(trx: Transaction<Database>, event: ClaimedEvent, externalId: string) {
  return trx
    .selectFrom('tasks')
    .select(['id', 'assignee', 'status'])
    .where('tenant_id', '=', event.tenantId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export async function closeFromEvent(
  d: StoreDialect,
  trx: Transaction<Database>,
  event: ClaimedEvent,
  a: EventCloseAction,
  now: string,
): Promise<EventActionOutcome> {
  const task = await taskFor(trx, event, a.externalId);
  if (!task) {
    await ignoreEvent(trx, event, `no task for ${a.externalId} to ${a.how}`, now);
    return 'ignored';
  }
  try {
    const moved = await transitionTask(d, trx, {
      tenantId: event.tenantId,
      taskId: task.id,
      action: a.how,
      actor: a.actor,
      reason: a.reason,
      now,
    });
    await finishEvent(trx, event, 'applied', { task_id: task.id, decision_id: moved.currentDecisionId, now });
    return 'applied';
  } catch (e) {
    if (!(e instanceof TaskStateConflict)) throw e;
    await ignoreEvent(trx, event, e.message, now);
    return 'ignored';
  }
}

export async function overrideFromEvent(
  d: StoreDialect,
  trx: Transaction<Database>,
  event: ClaimedEvent,
  a: EventOverrideAction,
  now: string,
): Promise<EventActionOutcome> {
  const task = await taskFor(trx, event, a.externalId);
  if (!task) {
    await ignoreEvent(trx, event, `no task for ${a.externalId} to reassign`, now);
    return 'ignored';
  }
  if (a.ifAssignedTo !== undefined && task.assignee !== a.ifAssignedTo) {
    const holder = task.assignee ? `assigned to ${task.assignee}` : 'unassigned';
    await ignoreEvent(trx, event, `${a.externalId} is ${holder}, not ${a.ifAssignedTo}: nothing to unassign`, now);
    return 'ignored';
  }
  if (task.assignee === a.assignee) {
    await ignoreEvent(
      trx,
      event,
      `${a.externalId} is already ${a.assignee ? `assigned to ${a.assignee}` : 'unassigned'}`,
      now,
    );
    return 'ignored';
  }
  try {
    const decision = await commitOverride(d, trx, {
      tenantId: event.tenantId,
      taskId: task.id,
      assignee: a.assignee,
      queue: a.assignee ? null : a.queue,
      reason: a.reason,
      actor: a.actor,
      policyVersion: a.policyVersion,
      now,
    });
    await finishEvent(trx, event, 'applied', { task_id: task.id, decision_id: decision.id, now });
    return 'applied';
  } catch (e) {
    if (!(e instanceof TaskStateConflict)) throw e;
    await ignoreEvent(trx, event, e.message, now);
    return 'ignored';
  }
}
