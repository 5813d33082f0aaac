/** Database rows → the camelCase shapes the rest of the code uses. */
import type { Selectable } from 'kysely';
import type { EventRow } from './event-store.js';
import type { DecisionsTable, EventsTable, TasksTable } from './schema.js';
import type { DecisionRow, TaskRow } from './task-store.js';

export function toTaskRow(r: Selectable<TasksTable>): TaskRow {
  return {
    id: r.id,
    externalId: r.external_id,
    integration: r.integration,
    title: r.title,
    status: r.status,
    assignee: r.assignee,
    queue: r.queue,
    priority: r.priority,
    task: JSON.parse(r.task),
    currentDecisionId: r.current_decision_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toDecisionRow(r: Selectable<DecisionsTable>): DecisionRow {
  return {
    id: r.id,
    taskId: r.task_id,
    eventId: r.event_id,
    kind: r.kind as DecisionRow['kind'],
    outcome: r.outcome,
    assignee: r.assignee,
    queue: r.queue,
    route: r.route,
    strategy: r.strategy,
    policyVersion: r.policy_version,
    inputHash: r.input_hash,
    explanation: r.explanation,
    detail: JSON.parse(r.detail),
    snapshot: JSON.parse(r.snapshot),
    task: r.task === null ? null : JSON.parse(r.task),
    supersedesId: r.supersedes_id,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
  };
}

export function toEventRow(r: Selectable<EventsTable>): EventRow {
  return {
    id: r.id,
    integration: r.integration,
    dedupeKey: r.dedupe_key,
    receivedAt: r.received_at,
    status: r.status,
    attempts: r.attempts,
    duplicates: r.duplicates,
    taskId: r.task_id,
    decisionId: r.decision_id,
    error: r.error,
    processedAt: r.processed_at,
  };
}
