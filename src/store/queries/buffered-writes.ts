/**
 * The pipeline batch's fast path (Store.bufferedBatch). Where BatchWrites runs every decision's
 * ~19 statements under its own savepoint, this keeps what the batch's decisions read and
 * change in memory and writes it in a few multi-row statements:
 *
 * - the tenant's load counters and round-robin turns are read once, and each committed
 *   decision applies to that copy exactly what applyDecision() would apply in SQL (with the
 *   same capacity and cursor checks), so the next decision of the batch sees it;
 * - tasks looked up by external id are read for the whole batch at once (prefetchTasks);
 * - the audit chain is extended in memory from the head read once;
 * - tasks, decisions, outbox rows and audit entries are inserted multi-row at flush(); the
 *   counters, cursors and audit head are written compare-and-set against the values read, so
 *   a concurrent writer on another node (PostgreSQL) makes the flush fail instead of being
 *   overwritten.
 *
 * Nothing is isolated: any failure (a lost lease, a conflict, a flush that finds the counters
 * moved) aborts the whole batch, and the caller runs it again through batch() (savepoints, one
 * event at a time). Writes that are not decisions (merge, close, override, dead letter) flush
 * first, run as in BatchWrites, and drop the tenant's copy, which is read again when needed.
 */
import type { Insertable, Transaction } from 'kysely';
import type { Snapshot, Task } from '../../core/index.js';
import { GENESIS_HASH } from '../../crypto/hash-chain.js';
import type { StoreDialect } from '../dialect.js';
import { CommitConflict, LeaseLost } from '../errors.js';
import type { ClaimedEvent } from '../event-store.js';
import type {
  BufferedPipelineWrites,
  CommittedDecision,
  DecisionCommit,
  EventCloseAction,
  EventOverrideAction,
  RedecisionCommit,
} from '../pipeline-store.js';
import { toTaskRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { TaskRow } from '../task-store.js';
import { auditRowOf } from './append-audit.js';
import { applyInMemory, readState, snapshotOf, type TenantState, writeCounters } from './batch-state.js';
import { assigneesOf, findTaskByExternalId } from './batch-writes.js';
import { decisionRowOf, keyedDrafts, taskRowOf } from './commit-decision.js';
import { closeFromEvent, ignoreEvent, overrideFromEvent } from './event-actions.js';
import { deadLetterEvent, mergeIntoTask } from './event-outcomes.js';
import { chunks, type DecidedEvent, finishDecidedEvents, insertRows } from './multi-row.js';
import { insertOutboxWrites, type OutboxWrite } from './outbox.js';
import { commitRedecision, listBacklog } from './task-lifecycle.js';

export class BufferedBatchWrites implements BufferedPipelineWrites {
  private readonly state = new Map<string, TenantState>();
  /** `${tenant}\0${externalId}` → the stored task (undefined: known not to exist). */
  private readonly tasks = new Map<string, TaskRow | undefined>();
  /** Tasks created by buffered decisions (not yet in the table). */
  private readonly created = new Set<string>();
  private readonly heads = new Map<string, { base: number; seq: number; hash: string }>();
  private taskRows: Insertable<Database['tasks']>[] = [];
  private decisionRows: Insertable<Database['decisions']>[] = [];
  private outboxWrites: OutboxWrite[] = [];
  private auditRows: Insertable<Database['audit_log']>[] = [];
  private decided: DecidedEvent[] = [];

  constructor(
    private readonly d: StoreDialect,
    private readonly trx: Transaction<Database>,
  ) {}

  async prefetchTasks(tenantId: string, externalIds: string[]): Promise<void> {
    const wanted = [...new Set(externalIds)].filter((x) => !this.tasks.has(key(tenantId, x)));
    for (const chunk of chunks(wanted)) {
      const rows = await this.trx
        .selectFrom('tasks')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('external_id', 'in', chunk)
        .execute();
      for (const x of chunk) this.tasks.set(key(tenantId, x), undefined);
      for (const r of rows) this.tasks.set(key(tenantId, r.external_id), toTaskRow(r));
    }
  }

  async findTaskByExternalId(tenantId: string, externalId: string): Promise<TaskRow | undefined> {
    const k = key(tenantId, externalId);
    if (this.created.has(k)) await this.flush();
    else if (this.tasks.has(k)) return this.tasks.get(k);
    const row = await findTaskByExternalId(this.trx, tenantId, externalId);
    this.tasks.set(k, row);
    return row;
  }

  async readSnapshot(tenantId: string): Promise<Snapshot> {
    return snapshotOf(await this.tenant(tenantId));
  }

  async assigneesOf(tenantId: string, externalIds: string[]): Promise<Record<string, string>> {
    if (externalIds.some((x) => this.created.has(key(tenantId, x)))) await this.flush();
    return assigneesOf(this.trx, tenantId, externalIds);
  }

  async commitDecision(c: DecisionCommit): Promise<CommittedDecision> {
    const { event, now } = c;
    const tenantId = event.tenantId;
    const k = key(tenantId, c.task.externalId);
    // The pipeline looked it up first; a task made meanwhile is the unique violation of batch().
    if (this.created.has(k) || this.tasks.get(k)) throw new CommitConflict('task_exists');
    const s = await this.tenant(tenantId);
    applyInMemory(s, c);
    this.decided.push({
      tenantId,
      id: event.id,
      leaseOwner: event.leaseOwner,
      taskId: c.taskId,
      decisionId: c.decisionId,
      now,
    });
    this.created.add(k);
    this.taskRows.push(taskRowOf(c));
    this.decisionRows.push(decisionRowOf(tenantId, c, { eventId: event.id, supersedesId: null }));
    this.outboxWrites.push({
      parent: { tenantId, decisionId: c.decisionId },
      drafts: keyedDrafts(c.decisionId, c.outbox),
      now,
    });
    const head = await this.head(tenantId);
    const { row, hash } = auditRowOf(head, tenantId, c.audit, now);
    this.auditRows.push(row);
    head.seq = row.seq;
    head.hash = hash;
    return { taskId: c.taskId, decisionId: c.decisionId };
  }

  mergeIntoTask(event: ClaimedEvent, existing: TaskRow, task: Task, now: string): Promise<void> {
    return this.direct(event.tenantId, () => mergeIntoTask(this.d, this.trx, event, existing, task, now));
  }

  deadLetterEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.direct(event.tenantId, () => deadLetterEvent(this.d, this.trx, event, reason, now));
  }

  ignoreEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return ignoreEvent(this.trx, event, reason, now);
  }

  closeFromEvent(event: ClaimedEvent, action: EventCloseAction, now: string): Promise<'applied' | 'ignored'> {
    return this.direct(event.tenantId, () => closeFromEvent(this.d, this.trx, event, action, now));
  }

  overrideFromEvent(event: ClaimedEvent, action: EventOverrideAction, now: string): Promise<'applied' | 'ignored'> {
    return this.direct(event.tenantId, () => overrideFromEvent(this.d, this.trx, event, action, now));
  }

  async listBacklog(tenantId: string, limit: number): Promise<TaskRow[]> {
    await this.flush();
    return listBacklog(this.trx, tenantId, limit);
  }

  commitRedecision(c: RedecisionCommit): Promise<void> {
    return this.direct(c.tenantId, () => commitRedecision(this.d, this.trx, c));
  }

  async flush(): Promise<void> {
    const { d, trx } = this;
    if (this.decided.length > 0) {
      const changed = await finishDecidedEvents(d, trx, this.decided);
      // Some event's lease was taken over (it expired): the whole batch goes the careful way.
      if (changed !== this.decided.length) throw new LeaseLost(`one of ${this.decided.map((e) => e.id).join(', ')}`);
    }
    await insertRows(d, trx, 'tasks', this.taskRows);
    await insertRows(d, trx, 'decisions', this.decisionRows);
    await insertOutboxWrites(trx, this.outboxWrites);
    await insertRows(d, trx, 'audit_log', this.auditRows);
    this.decided = [];
    this.taskRows = [];
    this.decisionRows = [];
    this.outboxWrites = [];
    this.auditRows = [];
    for (const [tenantId, s] of this.state) await writeCounters(trx, tenantId, s);
    for (const [tenantId, h] of this.heads) {
      if (h.seq === h.base) continue;
      const r = await trx
        .updateTable('audit_heads')
        .set({ seq: h.seq, hash: h.hash })
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', h.base)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new Error(`audit head of tenant ${tenantId} moved during the batch`);
      h.base = h.seq;
    }
    for (const k of this.created) this.tasks.delete(k);
    this.created.clear();
  }

  /** A write that is not a buffered decision: everything before it is written first, and the tenant's copy is dropped. */
  private async direct<T>(tenantId: string, write: () => Promise<T>): Promise<T> {
    await this.flush();
    this.state.delete(tenantId);
    this.heads.delete(tenantId);
    for (const k of [...this.tasks.keys()]) if (k.startsWith(`${tenantId}\0`)) this.tasks.delete(k);
    return write();
  }

  private async tenant(tenantId: string): Promise<TenantState> {
    const known = this.state.get(tenantId);
    if (known) return known;
    const s = await readState(this.trx, tenantId);
    this.state.set(tenantId, s);
    return s;
  }

  private async head(tenantId: string): Promise<{ base: number; seq: number; hash: string }> {
    const known = this.heads.get(tenantId);
    if (known) return known;
    const read = () =>
      this.trx
        .selectFrom('audit_heads')
        .select(['seq', 'hash'])
        .where('tenant_id', '=', tenantId)
        .$if(this.d.rowLocks, (q) => q.forUpdate())
        .executeTakeFirst();
    let row = await read();
    if (!row) {
      await this.trx
        .insertInto('audit_heads')
        .values({ tenant_id: tenantId, seq: 0, hash: GENESIS_HASH })
        .onConflict((oc) => oc.column('tenant_id').doNothing())
        .execute();
      row = await read();
      if (!row) throw new Error(`audit head for tenant ${tenantId} vanished`);
    }
    const head = { base: Number(row.seq), seq: Number(row.seq), hash: row.hash };
    this.heads.set(tenantId, head);
    return head;
  }
}

function key(tenantId: string, externalId: string): string {
  return `${tenantId}\0${externalId}`;
}
