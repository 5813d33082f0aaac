/**
 * The one storage interface. Every method takes the tenant and scopes every query by it
 * (invariant 7); no caller outside store/ writes SQL. Implemented once over Kysely; the
 * sqlite/ and postgres/ folders hold what differs between the two databases.
 */
import type { Decision, Snapshot, Task } from '../core/index.js';
import type { FunctionStore } from './function-store.js';
import type { OutboxStore } from './outbox-store.js';
import type { RecordedDecision, RecordedDecisionQuery } from './queries/recorded-decisions.js';

export interface NewEvent {
  tenantId: string;
  integration: string;
  dedupeKey: string;
  receivedAt: string;
  body: string;
  /** Source headers the normalizer needs later (e.g. which GitHub event). */
  meta?: Record<string, string>;
}

export type InsertEventResult = { status: 'accepted'; id: string } | { status: 'duplicate'; id: string };

export interface ClaimedEvent {
  tenantId: string;
  id: string;
  integration: string;
  receivedAt: string;
  body: string;
  meta: Record<string, string>;
  attempts: number;
  leaseOwner: string;
}

export interface OutboxDraft {
  topic: string;
  target: string;
  payload: unknown;
}

export interface AuditDraft {
  kind: string;
  /** The id the entry is about (decision, task, event …). */
  subject: string;
  data: unknown;
}

export interface DecisionCommit {
  event: ClaimedEvent;
  taskId: string;
  decisionId: string;
  task: Task;
  decision: Decision;
  snapshot: Snapshot;
  inputHash: string;
  /** Custom function calls the decision made (src/functions FunctionCallRecord), kept in its detail. */
  functionCalls?: readonly Record<string, unknown>[];
  /** Capacity of the chosen member, re-checked inside the transaction; null = not limited (capacity ignored). */
  assigneeCapacity: number | null;
  /** The member's capacity for this task's type, when one is set. */
  assigneeTypeCapacity: number | null;
  /** Round-robin: the route's turn counter decide() saw, compared-and-set inside the transaction. */
  turnSeen: number | null;
  outbox: OutboxDraft[];
  audit: AuditDraft;
  now: string;
}

/** A queued task decided again (backlog): like a DecisionCommit, but for an existing task. */
export interface RedecisionCommit
  extends Pick<
    DecisionCommit,
    | 'decisionId'
    | 'task'
    | 'decision'
    | 'snapshot'
    | 'inputHash'
    | 'functionCalls'
    | 'assigneeCapacity'
    | 'assigneeTypeCapacity'
    | 'turnSeen'
    | 'outbox'
    | 'audit'
    | 'now'
  > {
  tenantId: string;
  taskId: string;
  /** The decision that queued it; the commit only applies if it is still current. */
  supersedesId: string;
}

/** A source closed, cancelled, reopened or acknowledged the task it once created. */
export interface EventCloseAction {
  externalId: string;
  how: 'close' | 'cancel' | 'reopen' | 'acknowledge';
  actor: string;
  reason: string;
}

/** A person assigned (or unassigned) the task at the source. */
export interface EventOverrideAction {
  externalId: string;
  /** null: unassigned at the source; the task then waits in `queue`. */
  assignee: string | null;
  /** Apply only while the task is assigned to this member; otherwise the event is ignored. */
  ifAssignedTo?: string;
  queue: string;
  actor: string;
  reason: string;
  policyVersion: string;
}

export interface TaskTransition {
  tenantId: string;
  taskId: string;
  action: 'acknowledge' | 'close' | 'cancel' | 'reopen';
  actor: string;
  reason?: string;
  now: string;
}

export interface CommittedDecision {
  taskId: string;
  decisionId: string;
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

export interface EventRow {
  id: string;
  integration: string;
  dedupeKey: string;
  receivedAt: string;
  status: string;
  attempts: number;
  duplicates: number;
  taskId: string | null;
  decisionId: string | null;
  error: string | null;
  processedAt: string | null;
}

export interface DeadLetterRow {
  id: string;
  kind: string;
  refId: string;
  reason: string;
  createdAt: string;
}

export interface AuditRow {
  seq: number;
  id: string;
  at: string;
  kind: string;
  subject: string;
  data: string;
  prevHash: string;
  hash: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; null at the end. */
  next: string | null;
}

export interface TaskFilter {
  externalId?: string;
  status?: string;
  assignee?: string;
  limit: number;
  after?: string;
}

/** A rotated secret as stored: `encrypted` is ciphertext (see src/intake/secret-box.ts). */
export interface StoredSecretRow {
  id: string;
  encrypted: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface SecretRotation {
  tenantId: string;
  integration: string;
  id: string;
  encrypted: string;
  /** The other stored secrets expire at this time at the latest. */
  expireOthersAt: string;
  actor: string;
  now: string;
}

export interface SecretRevocation {
  tenantId: string;
  integration: string;
  id: string;
  actor: string;
  now: string;
}

/** `not_required`: activatable at once; `pending`: waits for an approval; `approved`: approved by another key. */
export type PolicyReview = 'not_required' | 'pending' | 'approved';

/** A policy version without its document (lists). `id` is the content hash `pv_…` decisions name. */
export interface PolicyVersionSummary {
  id: string;
  /** 1, 2, 3… per tenant, in creation order. */
  number: number;
  /** The version that was active when this one was created. */
  parent: string | null;
  /** `apikey:<api key id>`, `config:<file>` or `cli:<os user>`. */
  author: string | null;
  message: string | null;
  review: PolicyReview;
  approvedBy: string | null;
  approvedAt: string | null;
  createdAt: string;
}

export interface PolicyVersionRow extends PolicyVersionSummary {
  /** The routing document `{ policy, members, teams }` as declared (parsed JSON). */
  document: unknown;
}

export interface NewPolicyVersion {
  tenantId: string;
  /** The content hash of `document` (computed by the caller: the store does not know the hash). */
  id: string;
  document: unknown;
  author: string;
  message: string | null;
  review: Exclude<PolicyReview, 'approved'>;
  now: string;
}

export interface PolicyApproval {
  tenantId: string;
  version: string;
  actor: string;
  now: string;
}

export interface PolicyActivation {
  tenantId: string;
  version: string;
  actor: string;
  reason: string | null;
  now: string;
}

export interface PolicyActivationRow {
  id: string;
  version: string;
  number: number | null;
  /** The version active before; null for a tenant's first activation. */
  previous: string | null;
  previousNumber: number | null;
  actor: string;
  reason: string | null;
  /** The version activated is older than the one it replaced. */
  rollback: boolean;
  at: string;
}

export type PolicyActivationResult =
  | { status: 'activated'; activation: PolicyActivationRow }
  /** It already was the active version: nothing written. */
  | { status: 'already' }
  | { status: 'not_found' };

export interface ActivePolicyRow {
  tenantId: string;
  version: string;
  activatedAt: string;
}

/** Raised inside a commit when what decide() saw no longer holds; the caller re-decides. */
export class CommitConflict extends Error {
  constructor(readonly why: 'capacity' | 'cursor' | 'task_exists' | 'task_changed') {
    super(`commit conflict: ${why}`);
    this.name = 'CommitConflict';
  }
}

/** The transition is not possible from the task's current status (e.g. acknowledging a queued task). */
export class TaskStateConflict extends Error {
  constructor(
    readonly taskId: string,
    readonly status: string,
    readonly action: string,
  ) {
    super(`cannot ${action} task ${taskId}: it is ${status}`);
    this.name = 'TaskStateConflict';
  }
}

/** Raised when a worker's lease on an event was lost (another worker reclaimed it). */
export class LeaseLost extends Error {
  constructor(readonly eventId: string) {
    super(`lease lost on event ${eventId}`);
    this.name = 'LeaseLost';
  }
}

/**
 * The pipeline's reads and writes. On the Store itself each write is its own transaction;
 * inside Store.batch() they all share one, each write isolated by a savepoint.
 */
export interface PipelineWrites {
  findTaskByExternalId(tenantId: string, externalId: string): Promise<TaskRow | undefined>;
  readSnapshot(tenantId: string): Promise<Snapshot>;
  /** Current assignees of these tasks (by external id), for the sticky strategy. */
  assigneesOf(tenantId: string, externalIds: string[]): Promise<Record<string, string>>;
  /** Decision, task, load counter, cursor, outbox, audit, event status: all or nothing. */
  commitDecision(c: DecisionCommit): Promise<CommittedDecision>;
  /** An event for a task that already exists: update its fields, keep its assignment. */
  mergeIntoTask(event: ClaimedEvent, existing: TaskRow, task: Task, now: string): Promise<void>;
  deadLetterEvent(event: ClaimedEvent, reason: string, now: string): Promise<void>;
  /** The event means nothing to route on: kept as `ignored` with the reason. */
  ignoreEvent(event: ClaimedEvent, reason: string, now: string): Promise<void>;
  closeFromEvent(event: ClaimedEvent, action: EventCloseAction, now: string): Promise<'applied' | 'ignored'>;
  overrideFromEvent(event: ClaimedEvent, action: EventOverrideAction, now: string): Promise<'applied' | 'ignored'>;
  /** Queued tasks in backlog order (rank, due time, arrival). */
  listBacklog(tenantId: string, limit: number): Promise<TaskRow[]>;
  commitRedecision(c: RedecisionCommit): Promise<void>;
}

export interface Store extends PipelineWrites, OutboxStore, FunctionStore {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  // intake
  /** Group commit: all rows in one transaction; duplicates (even within the batch) are counted, not inserted. */
  insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]>;

  // pipeline
  claimEvents(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedEvent[]>;
  /** Put an event back for another attempt from `retryAt` on (after an unexpected error, or at shutdown). */
  releaseEvent(event: ClaimedEvent, error: string, retryAt: Date): Promise<void>;
  /**
   * Group commit for the pipeline: every write `fn` makes through `w` joins one transaction,
   * so a batch of events costs one commit (one fsync on SQLite). A write that fails is rolled
   * back to its savepoint and throws as usual; the others stay. Reads see the batch's own
   * earlier writes. If the final commit fails, nothing of the batch is written. `tenantIds`:
   * every tenant the batch may write for (their audit heads are locked first, in order).
   */
  batch<T>(tenantIds: string[], fn: (w: PipelineWrites) => Promise<T>): Promise<T>;

  // api
  listTasks(tenantId: string, filter: TaskFilter): Promise<Page<TaskRow>>;
  getTask(tenantId: string, taskId: string): Promise<TaskRow | undefined>;
  listDecisions(tenantId: string, taskId: string): Promise<DecisionRow[]>;
  /** The outbox rows of these decisions (what they owe), oldest first. */
  listDeliveries(tenantId: string, decisionIds: string[]): Promise<DeliveryRow[]>;
  /** Decisions by id (e.g. the current decisions of a page of tasks), in one query. */
  getDecisions(tenantId: string, decisionIds: string[]): Promise<DecisionRow[]>;
  commitOverride(o: OverrideCommit): Promise<DecisionRow>;
  /** acknowledge | close | cancel | reopen, with load counters and audit. */
  transitionTask(t: TaskTransition): Promise<TaskRow>;
  /** Set a member's away flag; false when it already had that value. */
  setAway(a: { tenantId: string; memberId: string; away: boolean; actor: string; now: string }): Promise<boolean>;
  getEvent(tenantId: string, eventId: string): Promise<EventRow | undefined>;
  listDeadLetters(tenantId: string, limit: number, after?: string): Promise<Page<DeadLetterRow>>;

  // keys
  /** `scopes`: extra permissions such as `policy:approve` (default none). */
  insertApiKey(
    tenantId: string,
    id: string,
    name: string,
    secretHash: string,
    now: string,
    scopes?: string[],
  ): Promise<void>;
  findApiKey(
    id: string,
  ): Promise<{ tenantId: string; secretHash: string; revoked: boolean; scopes: string[] } | undefined>;

  // integration secrets (rotation)
  /** Insert the new secret, bound the others' expiry, audit `secret.rotated`; returns the ids whose expiry was set. */
  rotateIntegrationSecret(r: SecretRotation): Promise<string[]>;
  /** Audits `secret.revoked`; 'already' (nothing written) when it was revoked before. */
  revokeIntegrationSecret(r: SecretRevocation): Promise<'revoked' | 'already' | 'unknown'>;
  /** Every stored secret of the integration, revoked ones included, oldest first. */
  listIntegrationSecrets(tenantId: string, integration: string): Promise<StoredSecretRow[]>;

  // audit
  appendAudit(tenantId: string, entry: AuditDraft, now: string): Promise<void>;
  readAudit(tenantId: string, afterSeq: number, limit: number): Promise<AuditRow[]>;
  auditHead(tenantId: string): Promise<{ seq: number; hash: string } | undefined>;
  auditTenants(): Promise<string[]>;

  // simulation and replay (src/store/queries/recorded-decisions.ts)
  /** Automatic decisions with their task and snapshot, in id order, created_at in [from, to), ids after `after`. */
  listRecordedDecisions(tenantId: string, q: RecordedDecisionQuery): Promise<RecordedDecision[]>;

  // policy versions (src/store/queries/policy-versions.ts)
  /**
   * Number it max+1 for the tenant, parent = the active version, audit `policy.version.created`;
   * content that already has a version returns that one (`created: false`, nothing written).
   */
  insertPolicyVersion(v: NewPolicyVersion): Promise<{ version: PolicyVersionRow; created: boolean }>;
  getPolicyVersion(tenantId: string, ref: { id: string } | { number: number }): Promise<PolicyVersionRow | undefined>;
  /** Newest first; page with `after` = the previous page's `next` (a version number). */
  listPolicyVersions(tenantId: string, limit: number, after?: number): Promise<Page<PolicyVersionSummary>>;
  /** pending → approved, audit `policy.version.approved`; undefined (nothing written) when not pending or unknown. */
  approvePolicyVersion(a: PolicyApproval): Promise<PolicyVersionRow | undefined>;
  /** Move the tenant's active pointer, record the activation, audit `policy.version.activated`: one transaction. */
  activatePolicyVersion(a: PolicyActivation): Promise<PolicyActivationResult>;
  /** The active version of each of these tenants (those that have one), in one query. */
  activePolicies(tenantIds: string[]): Promise<ActivePolicyRow[]>;
  /** Newest first; `version` narrows to the activations of one version. */
  listPolicyActivations(
    tenantId: string,
    f: { limit: number; after?: string; version?: string },
  ): Promise<Page<PolicyActivationRow>>;
}
