/**
 * The pipeline's reads and writes: decide on a leased event and commit the decision with
 * everything it implies, or record why not. On the Store each write is its own transaction;
 * inside batch() they all share one, each write isolated by a savepoint.
 */
import type { Decision, Snapshot, Task } from '../core/index.js';
import type { AuditDraft } from './audit-store.js';
import type { ClaimedEvent } from './event-store.js';
import type { TransactionLabel } from './open-transactions.js';
import type { OutboxDraft } from './outbox-store.js';
import type { TaskRow } from './task-store.js';

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

export interface CommittedDecision {
  taskId: string;
  decisionId: string;
}

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

/** The writes of Store.bufferedBatch (queries/buffered-writes.ts). */
export interface BufferedPipelineWrites extends PipelineWrites {
  /** Read these tasks of the tenant (by external id) in one query; later lookups are answered from it. */
  prefetchTasks(tenantId: string, externalIds: string[]): Promise<void>;
  /** Write everything buffered. Store.bufferedBatch calls it before COMMIT. */
  flush(): Promise<void>;
}

export interface PipelineStore extends PipelineWrites {
  /**
   * Group commit for the pipeline: every write `fn` makes through `w` joins one transaction,
   * so a batch of events costs one commit (one fsync on SQLite). A write that fails is rolled
   * back to its savepoint and throws as usual; the others stay. Reads see the batch's own
   * earlier writes. If the final commit fails, nothing of the batch is written. `tenantIds`:
   * every tenant the batch may write for (their audit heads are locked first, in order).
   * `label` says what it does, for the watchdog (default "pipeline batch", with the tenants). Inside `fn` every store access
   * goes through `w`: one through the Store itself throws StrayStoreAccess (no network call
   * belongs there either: see src/pipeline/process-event.ts).
   */
  batch<T>(tenantIds: string[], fn: (w: PipelineWrites) => Promise<T>, label?: TransactionLabel): Promise<T>;
  /**
   * The fast path of batch(): decisions are applied to an in-memory copy of the tenants' load,
   * turns and audit heads and written multi-row before COMMIT (queries/buffered-writes.ts).
   * Nothing is isolated: if anything in `fn` or the final writes fails, nothing of the batch
   * is written and the error is thrown; the caller then runs the batch through batch().
   */
  bufferedBatch<T>(
    tenantIds: string[],
    fn: (w: BufferedPipelineWrites) => Promise<T>,
    label?: TransactionLabel,
  ): Promise<T>;
}
