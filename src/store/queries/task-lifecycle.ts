/**
 * A task's life after its first decision: acknowledge, close, cancel, reopen, re-decide from
 * the backlog, and members going away and coming back. Each is one transaction that moves
 * the task (guarded by its current status, so concurrent calls cannot both apply), keeps the
 * load counters exact, and appends to the audit chain.
 */
import type { Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { CommitConflict, TaskNotFound, TaskStateConflict } from '../errors.js';
import type { RedecisionCommit } from '../pipeline-store.js';
import { toTaskRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { TaskRow, TaskTransition } from '../task-store.js';
import { appendAudit } from './append-audit.js';
import { applyDecision, insertDecision, insertOutbox, queueRank } from './commit-decision.js';
import { OPEN_WITH_ASSIGNEE } from './commit-override.js';
import { removeLoad } from './load-counters.js';

/** From which statuses each action may start, and where it leaves the task. */
const TRANSITIONS: Record<TaskTransition['action'], { from: string[]; to: string }> = {
  acknowledge: { from: ['assigned'], to: 'acknowledged' },
  close: { from: ['assigned', 'acknowledged', 'queued'], to: 'closed' },
  cancel: { from: ['assigned', 'acknowledged', 'queued'], to: 'cancelled' },
  reopen: { from: ['closed', 'cancelled'], to: 'queued' },
};

export const REOPENED_QUEUE = 'reopened';

/** Apply a lifecycle action. Repeating an action that already took effect changes nothing and returns the task. */
export async function transitionTask(d: StoreDialect, trx: Transaction<Database>, t: TaskTransition): Promise<TaskRow> {
  const row = await trx
    .selectFrom('tasks')
    .selectAll()
    .where('tenant_id', '=', t.tenantId)
    .where('id', '=', t.taskId)
    .$if(d.rowLocks, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw new TaskNotFound(t.taskId);
  const rule = TRANSITIONS[t.action];
  if (row.status === rule.to) return toTaskRow(row);
  if (!rule.from.includes(row.status)) throw new TaskStateConflict(t.taskId, row.status, t.action);

  const reopening = t.action === 'reopen';
  const updated = await trx
    .updateTable('tasks')
    .set({
      status: rule.to,
      updated_at: t.now,
      ...(rule.to === 'closed' || rule.to === 'cancelled' ? { closed_at: t.now } : {}),
      ...(reopening ? { assignee: null, queue: REOPENED_QUEUE, queue_rank: row.priority ?? 3, closed_at: null } : {}),
    })
    .where('tenant_id', '=', t.tenantId)
    .where('id', '=', t.taskId)
    .where('status', '=', row.status)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.assignee && OPEN_WITH_ASSIGNEE.includes(row.status) && !OPEN_WITH_ASSIGNEE.includes(rule.to)) {
    await removeLoad(trx, { tenantId: t.tenantId, memberId: row.assignee, taskType: row.type });
  }
  await appendAudit(
    d,
    trx,
    t.tenantId,
    {
      kind: `task.${rule.to === 'queued' ? 'reopened' : rule.to}`,
      subject: t.taskId,
      data: { from: row.status, to: rule.to, assignee: row.assignee, actor: t.actor, reason: t.reason ?? null },
    },
    t.now,
  );
  return toTaskRow(updated);
}

/**
 * A queued task decided again (the backlog draining): the task moves only if it is still
 * queued under the decision the caller saw; capacity and turns are re-checked like any commit.
 */
export async function commitRedecision(
  d: StoreDialect,
  trx: Transaction<Database>,
  c: RedecisionCommit,
): Promise<void> {
  const { decision, now, tenantId } = c;
  const moved = await trx
    .updateTable('tasks')
    .set({
      status: decision.outcome,
      assignee: decision.assignee,
      queue: decision.queue,
      queue_rank: queueRank(c),
      current_decision_id: c.decisionId,
      updated_at: now,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', c.taskId)
    .where('status', '=', 'queued')
    .where('current_decision_id', '=', c.supersedesId)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw new CommitConflict('task_changed');
  await applyDecision(trx, tenantId, c);
  await insertDecision(trx, tenantId, c, { eventId: null, supersedesId: c.supersedesId });
  await insertOutbox(trx, tenantId, c.decisionId, c.outbox, now);
  await appendAudit(d, trx, tenantId, c.audit, now);
}

/**
 * Queued tasks in backlog order: most urgent rank first, then earliest due, then oldest. Only
 * tasks the policy queued (or that were reopened): a task a person parked in a queue with an
 * override stays there until a person moves it.
 */
export async function listBacklog(
  db: Transaction<Database> | StoreDialect['db'],
  tenantId: string,
  limit: number,
): Promise<TaskRow[]> {
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('decisions', (j) =>
      j.onRef('decisions.tenant_id', '=', 'tasks.tenant_id').onRef('decisions.id', '=', 'tasks.current_decision_id'),
    )
    .selectAll('tasks')
    .where('tasks.tenant_id', '=', tenantId)
    .where('tasks.status', '=', 'queued')
    .where('decisions.kind', '=', 'auto')
    .orderBy('tasks.queue_rank')
    // NULLs sort first on SQLite and last on PostgreSQL: make "no due time" last on both.
    .orderBy((eb) => eb.fn.coalesce('tasks.due_at', eb.val('9999-12-31T23:59:59.999Z')))
    .orderBy('tasks.id')
    .limit(limit)
    .execute();
  return rows.map(toTaskRow);
}

/** The away flag set through the API; audited. Returns false when it already had that value. */
export async function setAway(
  d: StoreDialect,
  trx: Transaction<Database>,
  a: { tenantId: string; memberId: string; away: boolean; actor: string; now: string },
): Promise<boolean> {
  const current = await trx
    .selectFrom('member_state')
    .select('away')
    .where('tenant_id', '=', a.tenantId)
    .where('member_id', '=', a.memberId)
    .$if(d.rowLocks, (q) => q.forUpdate())
    .executeTakeFirst();
  if (Boolean(current?.away) === a.away) return false;
  await trx
    .insertInto('member_state')
    .values({ tenant_id: a.tenantId, member_id: a.memberId, open_tasks: 0, away: a.away ? 1 : 0 })
    .onConflict((oc) => oc.columns(['tenant_id', 'member_id']).doUpdateSet({ away: a.away ? 1 : 0 }))
    .execute();
  await appendAudit(
    d,
    trx,
    a.tenantId,
    { kind: a.away ? 'member.away' : 'member.back', subject: a.memberId, data: { actor: a.actor } },
    a.now,
  );
  return true;
}
