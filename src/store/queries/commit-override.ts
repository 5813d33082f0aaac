import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { canonicalJson } from '../../core/canonical-json.js';
import type { StoreDialect } from '../dialect.js';
import { TaskNotFound, TaskStateConflict } from '../errors.js';
import { newId } from '../ids.js';
import type { OutboxDraft } from '../outbox-store.js';
import { toDecisionRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { DecisionRow, OverrideCommit } from '../task-store.js';
import { appendAudit } from './append-audit.js';
import { insertOutbox } from './commit-decision.js';
import { addLoad, removeLoad } from './load-counters.js';

/** The override's Slack/Jira/GitHub rows, when the caller asked for them and someone is assigned. */
function notifyRows(
  o: OverrideCommit,
  task: { id: string; external_id: string; title: string; integration: string; task: string },
  row: { id: string; explanation: string },
): OutboxDraft[] {
  if (!o.notify || !o.assignee) return [];
  const url = (JSON.parse(task.task) as { url?: string }).url ?? null;
  return o.notify({
    taskId: task.id,
    decisionId: row.id,
    externalId: task.external_id,
    title: task.title,
    url,
    integration: task.integration,
    assignee: o.assignee,
    explanation: row.explanation,
  });
}

/** Statuses in which a task counts toward its assignee's load. */
export const OPEN_WITH_ASSIGNEE = ['assigned', 'acknowledged'];

/**
 * A human reassignment: a new decision of kind `override` that points at the decision it
 * replaces (which stays untouched), load moved from the old assignee to the new one,
 * a `task.reassigned` outbox row and an audit entry, in one transaction. A person may
 * deliberately assign over capacity, so capacity is not enforced here.
 */
export async function commitOverride(
  d: StoreDialect,
  trx: Transaction<Database>,
  o: OverrideCommit,
): Promise<DecisionRow> {
  {
    const task = await trx
      .selectFrom('tasks')
      .selectAll()
      .where('tenant_id', '=', o.tenantId)
      .where('id', '=', o.taskId)
      .$if(d.rowLocks, (q) => q.forUpdate())
      .executeTakeFirst();
    if (!task) throw new TaskNotFound(o.taskId);
    if (!['assigned', 'acknowledged', 'queued'].includes(task.status)) {
      throw new TaskStateConflict(o.taskId, task.status, 'reassign');
    }
    const taskType = task.type;
    if (task.assignee && OPEN_WITH_ASSIGNEE.includes(task.status)) {
      await removeLoad(trx, { tenantId: o.tenantId, memberId: task.assignee, taskType });
    }
    if (o.assignee) {
      await addLoad(
        trx,
        { tenantId: o.tenantId, memberId: o.assignee, taskType },
        { capacity: null, typeCapacity: null },
      );
    }
    const was = task.assignee ? `assigned to ${task.assignee}` : `queued in "${task.queue}"`;
    const now = o.assignee ? `to ${o.assignee}` : `into queue "${o.queue}"`;
    const decisionId = newId();
    const row = {
      tenant_id: o.tenantId,
      id: decisionId,
      task_id: task.id,
      event_id: null,
      kind: 'override',
      outcome: o.assignee ? 'assigned' : 'queued',
      assignee: o.assignee,
      queue: o.queue,
      route: null,
      strategy: null,
      policy_version: o.policyVersion,
      input_hash: createHash('sha256')
        .update(canonicalJson({ taskId: task.id, assignee: o.assignee, queue: o.queue, reason: o.reason }))
        .digest('hex'),
      explanation: `Reassigned ${now} by ${o.actor} (was ${was}): ${o.reason}. Replaces decision ${task.current_decision_id}.`,
      detail: '{}',
      snapshot: '{}',
      task: null,
      supersedes_id: task.current_decision_id,
      reason: o.reason,
      actor: o.actor,
      created_at: o.now,
    };
    await trx.insertInto('decisions').values(row).execute();
    await trx
      .updateTable('tasks')
      .set({
        status: row.outcome,
        assignee: o.assignee,
        queue: o.queue,
        current_decision_id: decisionId,
        queue_rank: o.assignee ? null : (task.priority ?? 3),
        closed_at: null,
        updated_at: o.now,
      })
      .where('tenant_id', '=', o.tenantId)
      .where('id', '=', task.id)
      .execute();
    const payload = {
      taskId: task.id,
      externalId: task.external_id,
      decisionId,
      assignee: o.assignee,
      queue: o.queue,
      previousAssignee: task.assignee,
      reason: o.reason,
    };
    await insertOutbox(
      trx,
      o.tenantId,
      decisionId,
      [{ topic: 'task.reassigned', target: 'subscribers', payload }, ...notifyRows(o, task, row)],
      o.now,
    );
    await appendAudit(
      d,
      trx,
      o.tenantId,
      {
        kind: 'override',
        subject: decisionId,
        data: { ...payload, supersedes: task.current_decision_id, actor: o.actor },
      },
      o.now,
    );
    return toDecisionRow(row);
  }
}
