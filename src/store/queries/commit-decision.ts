import type { Insertable, Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { CommitConflict, LeaseLost } from '../errors.js';
import type { OutboxDraft, OutboxRowDraft } from '../outbox-store.js';
import type { CommittedDecision, DecisionCommit } from '../pipeline-store.js';
import type { Database } from '../schema.js';
import { appendAudit } from './append-audit.js';
import { addLoad, takeTurn } from './load-counters.js';
import { insertOutboxRows } from './outbox.js';

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
  const { event, now } = c;
  const tenantId = event.tenantId;
  await finishEvent(trx, event, 'decided', { task_id: c.taskId, decision_id: c.decisionId, now });
  await applyDecision(trx, tenantId, c);
  try {
    await trx.insertInto('tasks').values(taskRowOf(c)).execute();
  } catch (e) {
    // Another event created this task first (same external id): the caller merges instead.
    if (d.isUniqueViolation(e)) throw new CommitConflict('task_exists');
    throw e;
  }
  await insertDecision(trx, tenantId, c, { eventId: event.id, supersedesId: null });
  await insertOutbox(trx, tenantId, c.decisionId, c.outbox, now);
  await appendAudit(d, trx, tenantId, c.audit, now);
  return { taskId: c.taskId, decisionId: c.decisionId };
}

/** The new task's row (shared with the buffered batch, buffered-writes.ts). */
export function taskRowOf(c: DecisionCommit): Insertable<Database['tasks']> {
  const { event, decision, now } = c;
  return {
    tenant_id: event.tenantId,
    id: c.taskId,
    external_id: c.task.externalId,
    integration: event.integration,
    title: c.task.title,
    status: decision.outcome,
    assignee: decision.assignee,
    queue: decision.queue,
    priority: c.task.priority ?? null,
    type: c.task.type ?? null,
    due_at: c.task.dueAt ?? null,
    queue_rank: queueRank(c),
    closed_at: null,
    task: JSON.stringify(c.task),
    current_decision_id: c.decisionId,
    created_at: now,
    updated_at: now,
  };
}

type DecisionEffects = Pick<
  DecisionCommit,
  'decision' | 'task' | 'assigneeCapacity' | 'assigneeTypeCapacity' | 'turnSeen'
>;

/** The load and round-robin effects of a decision, each re-checked against the database. */
export async function applyDecision(trx: Transaction<Database>, tenantId: string, c: DecisionEffects): Promise<void> {
  const { decision } = c;
  if (decision.assignee === null) return;
  const limits = decision.escalated
    ? { capacity: null, typeCapacity: null }
    : { capacity: c.assigneeCapacity, typeCapacity: c.assigneeTypeCapacity };
  await addLoad(trx, { tenantId, memberId: decision.assignee, taskType: c.task.type ?? null }, limits);
  if (decision.strategy === 'round_robin' && decision.route !== null && !decision.escalated && c.turnSeen !== null) {
    await takeTurn(trx, tenantId, decision.route, c.turnSeen, decision.assignee);
  }
}

/** Backlog order while queued: priority (3 when unset) made more urgent by any VIP boost. */
export function queueRank(c: Pick<DecisionCommit, 'decision' | 'task'>): number | null {
  if (c.decision.outcome !== 'queued') return null;
  return Math.max(0, (c.task.priority ?? 3) - (c.decision.boost ?? 0));
}

type DecisionFields = Pick<
  DecisionCommit,
  'decisionId' | 'taskId' | 'task' | 'decision' | 'snapshot' | 'inputHash' | 'functionCalls' | 'now'
>;

export async function insertDecision(
  trx: Transaction<Database>,
  tenantId: string,
  c: DecisionFields,
  links: { eventId: string | null; supersedesId: string | null },
): Promise<void> {
  await trx
    .insertInto('decisions')
    .values(decisionRowOf(tenantId, c, links))
    .execute();
}

/** An automatic decision's row (shared with the buffered batch, buffered-writes.ts). */
export function decisionRowOf(
  tenantId: string,
  c: DecisionFields,
  links: { eventId: string | null; supersedesId: string | null },
): Insertable<Database['decisions']> {
  const { decision } = c;
  return {
    tenant_id: tenantId,
    id: c.decisionId,
    task_id: c.taskId,
    event_id: links.eventId,
    kind: 'auto',
    outcome: decision.outcome,
    assignee: decision.assignee,
    queue: decision.queue,
    route: decision.route,
    strategy: decision.strategy,
    policy_version: decision.policyVersion,
    input_hash: c.inputHash,
    explanation: decision.explanation,
    detail: JSON.stringify({
      candidates: decision.candidates,
      routesTried: decision.routesTried,
      ...(decision.escalated ? { escalated: true } : {}),
      ...(decision.boost ? { boost: decision.boost } : {}),
      ...(c.functionCalls?.length ? { functions: c.functionCalls } : {}),
    }),
    snapshot: JSON.stringify(c.snapshot),
    task: JSON.stringify(c.task),
    supersedes_id: links.supersedesId,
    reason: null,
    actor: null,
    created_at: c.now,
  };
}

/** Move an event out of `processing`, but only if this worker still holds its lease. */
export async function finishEvent(
  trx: Transaction<Database>,
  event: { tenantId: string; id: string; leaseOwner: string },
  status: 'decided' | 'merged' | 'applied' | 'ignored' | 'dead',
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

/** Each row's idempotency key is derived from the decision, so every retry carries the same one. */
export async function insertOutbox(
  trx: Transaction<Database>,
  tenantId: string,
  decisionId: string,
  drafts: OutboxDraft[],
  now: string,
): Promise<void> {
  await insertOutboxRows(trx, { tenantId, decisionId }, keyedDrafts(decisionId, drafts), now);
}

export function keyedDrafts(decisionId: string, drafts: OutboxDraft[]): OutboxRowDraft[] {
  return drafts.map((o) => ({ ...o, idempotencyKey: `${decisionId}:${o.target}:${o.topic}` }));
}
