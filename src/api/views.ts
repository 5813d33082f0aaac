/** Store rows → API shapes. */
import type { DecisionRow, TaskRow } from '../store/task-store.js';

export function decisionView(d: DecisionRow) {
  const detail = d.detail as { candidates?: unknown[]; routesTried?: unknown[]; functions?: unknown[] };
  return {
    id: d.id,
    kind: d.kind,
    eventId: d.eventId,
    outcome: d.outcome,
    assignee: d.assignee,
    queue: d.queue,
    route: d.route,
    strategy: d.strategy,
    policyVersion: d.policyVersion,
    inputHash: d.inputHash,
    explanation: d.explanation,
    candidates: (detail.candidates ?? []) as { memberId: string; score?: number; excluded?: Record<string, unknown> }[],
    routesTried: (detail.routesTried ?? []) as Record<string, unknown>[],
    /** Custom function calls: name, version, content hash, duration, outcome, fallback. */
    functions: (detail.functions ?? []) as Record<string, unknown>[],
    supersedesId: d.supersedesId,
    reason: d.reason,
    actor: d.actor,
    createdAt: d.createdAt,
  };
}

export function taskView(t: TaskRow, decision?: DecisionRow) {
  return {
    id: t.id,
    externalId: t.externalId,
    integration: t.integration,
    title: t.title,
    status: t.status,
    assignee: t.assignee,
    queue: t.queue,
    priority: t.priority,
    task: t.task as Record<string, unknown>,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ...(decision ? { decision: decisionView(decision) } : {}),
  };
}
