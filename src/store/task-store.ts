/**
 * Tasks as the API and the CLI see them: reads with their decisions and deliveries, and the
 * changes people make (override, acknowledge/close/cancel/reopen, away). Every method is
 * scoped by tenant (invariant 7); every change is audited in its own transaction.
 */
import type { Decision, Snapshot, Task } from '../core/index.js';
import type { OutboxDraft } from './outbox-store.js';
import type { Page } from './shared.js';

export interface TaskRow {
  id: string;
  externalId: string;
  integration: string;
  title: string;
  status: string;
  assignee: string | null;
  queue: string | null;
  priority: number | null;
  task: Task;
  currentDecisionId: string;
  createdAt: string;
  updatedAt: string;
}

export interface DecisionRow {
  id: string;
  taskId: string;
  eventId: string | null;
  kind: 'auto' | 'override';
  outcome: string;
  assignee: string | null;
  queue: string | null;
  route: string | null;
  strategy: string | null;
  policyVersion: string;
  inputHash: string;
  explanation: string;
  detail:
    | {
        candidates: Decision['candidates'];
        routesTried: Decision['routesTried'];
        functions?: Record<string, unknown>[];
      }
    | Record<string, never>;
  /** The Task decide() saw; null for overrides and decisions recorded before migration 0008. */
  task: Task | null;
  snapshot: Snapshot | Record<string, never>;
  supersedesId: string | null;
  reason: string | null;
  actor: string | null;
  createdAt: string;
}

export interface DeliveryRow {
  id: string;
  decisionId: string;
  topic: string;
  target: string;
  idempotencyKey: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  deliveredAt: string | null;
}

export interface TaskFilter {
  externalId?: string;
  status?: string;
  assignee?: string;
  limit: number;
  after?: string;
}

export interface OverrideCommit {
  tenantId: string;
  taskId: string;
  assignee: string | null;
  queue: string | null;
  reason: string;
  actor: string;
  policyVersion: string;
  now: string;
  /** Extra outbox rows for the new assignment (Slack, Jira, GitHub), written in the same transaction. */
  notify?: (t: OverrideSubject) => OutboxDraft[];
}

/** What an override's notify rows are built from. */
export interface OverrideSubject {
  taskId: string;
  decisionId: string;
  externalId: string;
  title: string;
  url: string | null;
  integration: string;
  assignee: string;
  explanation: string;
}

export interface TaskTransition {
  tenantId: string;
  taskId: string;
  action: 'acknowledge' | 'close' | 'cancel' | 'reopen';
  actor: string;
  reason?: string;
  now: string;
}

export interface AwayChange {
  tenantId: string;
  memberId: string;
  away: boolean;
  actor: string;
  now: string;
}

export interface TaskStore {
  listTasks(tenantId: string, filter: TaskFilter): Promise<Page<TaskRow>>;
  getTask(tenantId: string, taskId: string): Promise<TaskRow | undefined>;
  /** Every tenant that has tasks, by id (the CLI's `tasks` without --tenant). */
  tenantsWithTasks(): Promise<string[]>;
  listDecisions(tenantId: string, taskId: string): Promise<DecisionRow[]>;
  /** Decisions by id (e.g. the current decisions of a page of tasks), in one query. */
  getDecisions(tenantId: string, decisionIds: string[]): Promise<DecisionRow[]>;
  /** The outbox rows of these decisions (what they owe), oldest first. */
  listDeliveries(tenantId: string, decisionIds: string[]): Promise<DeliveryRow[]>;
  commitOverride(o: OverrideCommit): Promise<DecisionRow>;
  /** acknowledge | close | cancel | reopen, with load counters and audit. */
  transitionTask(t: TaskTransition): Promise<TaskRow>;
  /** Set a member's away flag; false when it already had that value. */
  setAway(a: AwayChange): Promise<boolean>;
}
