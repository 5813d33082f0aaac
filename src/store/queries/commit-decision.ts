import { sql, type Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import { CommitConflict, type CommittedDecision, type DecisionCommit, LeaseLost, type OutboxDraft } from '../store.js';
import { appendAudit } from './append-audit.js';

/**
 * Invariant 4, one commit: event status, load counter, round-robin cursor, task, decision,
 * outbox rows and the audit entry, all or nothing (inside the caller's transaction, alone or
 * isolated by a savepoint in a pipeline batch). What decide() assumed is re-checked here
 * (capacity, cursor, no task yet for this external id); if it no longer holds the transaction
 * rolls back with CommitConflict and the pipeline decides again on a fresh snapshot.
 */
export async function commitDecision(
  d: StoreDialect,
  trx: Transaction<Database>,
  c: DecisionCommit,
): Promise<CommittedDecision> {
  const { event, decision, now } = c;
  const tenantId = event.tenantId;
  await finishEvent(trx, event, 'decided', { task_id: c.taskId, decision_id: c.decisionId, now });
  if (decision.assignee !== null) await takeCapacity(trx, tenantId, decision.assignee, c.assigneeCapacity ?? 0);
  if (decision.strategy === 'round_robin' && decision.assignee !== null && decision.route !== null) {
    await moveCursor(trx, tenantId, decision.route, c.cursorSeen, decision.assignee);
  }
  try {
    await trx
      .insertInto('tasks')
      .values({
        tenant_id: tenantId,
        id: c.taskId,
        external_id: c.task.externalId,
        integration: event.integration,
        title: c.task.title,
        status: decision.outcome,
        assignee: decision.assignee,
        queue: decision.queue,
        priority: c.task.priority ?? null,
        task: JSON.stringify(c.task),
        current_decision_id: c.decisionId,
        created_at: now,
        updated_at: now,
      })
      .execute();
  } catch (e) {
    // Another event created this task first (same external id): the caller merges instead.
    if (d.isUniqueViolation(e)) throw new CommitConflict('task_exists');
    throw e;
  }
  await trx
    .insertInto('decisions')
    .values({
      tenant_id: tenantId,
      id: c.decisionId,
      task_id: c.taskId,
      event_id: event.id,
      kind: 'auto',
      outcome: decision.outcome,
      assignee: decision.assignee,
      queue: decision.queue,
      route: decision.route,
      strategy: decision.strategy,
      policy_version: decision.policyVersion,
      input_hash: c.inputHash,
      explanation: decision.explanation,
      detail: JSON.stringify({ candidates: decision.candidates, routesTried: decision.routesTried }),
      snapshot: JSON.stringify(c.snapshot),
      supersedes_id: null,
      reason: null,
      actor: null,
      created_at: now,
    })
    .execute();
  await insertOutbox(trx, tenantId, c.decisionId, c.outbox, now);
  await appendAudit(d, trx, tenantId, c.audit, now);
  return { taskId: c.taskId, decisionId: c.decisionId };
}

/** Move an event out of `processing`, but only if this worker still holds its lease. */
export async function finishEvent(
  trx: Transaction<Database>,
  event: { tenantId: string; id: string; leaseOwner: string },
  status: 'decided' | 'merged' | 'dead',
  fields: { task_id?: string | null; decision_id?: string | null; error?: string | null; now: string },
): Promise<void> {
  const result = await trx
    .updateTable('events')
    .set({
      status,
      task_id: fields.task_id ?? null,
      decision_id: fields.decision_id ?? null,
      error: fields.error ?? null,
      processed_at: fields.now,
      lease_owner: null,
      lease_until: null,
    })
    .where('tenant_id', '=', event.tenantId)
    .where('id', '=', event.id)
    .where('status', '=', 'processing')
    .where('lease_owner', '=', event.leaseOwner)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLost(event.id);
}

/** +1 open task, only while under capacity: the database, not the snapshot, has the last word. */
export async function takeCapacity(
  trx: Transaction<Database>,
  tenantId: string,
  memberId: string,
  capacity: number,
): Promise<void> {
  if (capacity < 1) throw new CommitConflict('capacity');
  const row = await trx
    .insertInto('member_state')
    .values({ tenant_id: tenantId, member_id: memberId, open_tasks: 1, away: 0 })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'member_id'])
        .doUpdateSet({ open_tasks: sql`member_state.open_tasks + 1` })
        .where('member_state.open_tasks', '<', capacity),
    )
    .returning('open_tasks')
    .executeTakeFirst();
  if (!row) throw new CommitConflict('capacity');
}

/** Compare-and-set, so two concurrent decisions on one route cannot both take the same turn. */
async function moveCursor(
  trx: Transaction<Database>,
  tenantId: string,
  route: string,
  seen: string | null,
  next: string,
): Promise<void> {
  if (seen === null) {
    const inserted = await trx
      .insertInto('route_cursors')
      .values({ tenant_id: tenantId, route, member_id: next })
      .onConflict((oc) => oc.columns(['tenant_id', 'route']).doNothing())
      .returning('member_id')
      .executeTakeFirst();
    if (!inserted) throw new CommitConflict('cursor');
    return;
  }
  const moved = await trx
    .updateTable('route_cursors')
    .set({ member_id: next })
    .where('tenant_id', '=', tenantId)
    .where('route', '=', route)
    .where('member_id', '=', seen)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw new CommitConflict('cursor');
}

/** Each row's idempotency key is derived from the decision, so every retry carries the same one. */
export async function insertOutbox(
  trx: Transaction<Database>,
  tenantId: string,
  decisionId: string,
  drafts: OutboxDraft[],
  now: string,
): Promise<void> {
  if (drafts.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      drafts.map((o) => ({
        tenant_id: tenantId,
        id: newId(),
        decision_id: decisionId,
        topic: o.topic,
        target: o.target,
        idempotency_key: `${decisionId}:${o.target}:${o.topic}`,
        payload: JSON.stringify(o.payload),
        status: 'pending',
        next_attempt_at: now,
        created_at: now,
      })),
    )
    .execute();
}
