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
import type { Insertable, Kysely, Transaction } from 'kysely';
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
import { assigneesOf, findTaskByExternalId } from './batch-writes.js';
import { decisionRowOf, keyedDrafts, taskRowOf } from './commit-decision.js';
import { closeFromEvent, ignoreEvent, overrideFromEvent } from './event-actions.js';
import { deadLetterEvent, mergeIntoTask } from './event-outcomes.js';
import { type DecidedEvent, finishDecidedEvents, insertRows, ROWS_PER_STATEMENT } from './multi-row.js';
import { outboxRowsOf } from './outbox.js';
import { commitRedecision, listBacklog } from './task-lifecycle.js';

/** A counter as read (null: no row) and as the batch has changed it. */
interface Counter {
  base: number | null;
  value: number;
}

interface TenantState {
  members: Map<string, Counter & { away: boolean }>;
  /** member id → task type → counter (rows with 0 open tasks are not read: base 0 means "0 or absent"). */
  typed: Map<string, Map<string, Counter>>;
  /** route → member id → last turn. */
  turns: Map<string, Map<string, number>>;
  /** route → the cursor as read (max turn) and as moved, and who took the last turn. */
  cursors: Map<string, { base: number; value: number; member: string }>;
  /** Members and (member, type) pairs whose counters this batch changed. */
  touched: Set<string>;
  touchedTyped: Set<string>;
  movedTurns: Set<string>;
}

export class BufferedBatchWrites implements BufferedPipelineWrites {
  private readonly state = new Map<string, TenantState>();
  /** `${tenant}\0${externalId}` → the stored task (undefined: known not to exist). */
  private readonly tasks = new Map<string, TaskRow | undefined>();
  /** Tasks created by buffered decisions (not yet in the table). */
  private readonly created = new Set<string>();
  private readonly heads = new Map<string, { base: number; seq: number; hash: string }>();
  private taskRows: Insertable<Database['tasks']>[] = [];
  private decisionRows: Insertable<Database['decisions']>[] = [];
  private outboxRows: Insertable<Database['outbox']>[] = [];
  private auditRows: Insertable<Database['audit_log']>[] = [];
  private decided: DecidedEvent[] = [];

  constructor(
    private readonly d: StoreDialect,
    private readonly trx: Transaction<Database>,
  ) {}

  async prefetchTasks(tenantId: string, externalIds: string[]): Promise<void> {
    const wanted = [...new Set(externalIds)].filter((x) => !this.tasks.has(key(tenantId, x)));
    for (let i = 0; i < wanted.length; i += ROWS_PER_STATEMENT) {
      const chunk = wanted.slice(i, i + ROWS_PER_STATEMENT);
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
    this.outboxRows.push(
      ...outboxRowsOf({ tenantId, decisionId: c.decisionId }, keyedDrafts(c.decisionId, c.outbox), now),
    );
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
    // The same key twice (a fan-out repeated after a lost lease) is the same effect: once.
    await insertRows(d, trx, 'outbox', this.outboxRows, 'on conflict ("tenant_id", "idempotency_key") do nothing');
    await insertRows(d, trx, 'audit_log', this.auditRows);
    this.decided = [];
    this.taskRows = [];
    this.decisionRows = [];
    this.outboxRows = [];
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

async function readState(db: Kysely<Database>, tenantId: string): Promise<TenantState> {
  const members = await db
    .selectFrom('member_state')
    .select(['member_id', 'open_tasks', 'away'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const typed = await db
    .selectFrom('member_type_load')
    .select(['member_id', 'task_type', 'open_tasks'])
    .where('tenant_id', '=', tenantId)
    .where('open_tasks', '>', 0)
    .execute();
  const turns = await db
    .selectFrom('route_turns')
    .select(['route', 'member_id', 'turn'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const s: TenantState = {
    members: new Map(),
    typed: new Map(),
    turns: new Map(),
    cursors: new Map(),
    touched: new Set(),
    touchedTyped: new Set(),
    movedTurns: new Set(),
  };
  for (const m of members) s.members.set(m.member_id, { base: m.open_tasks, value: m.open_tasks, away: !!m.away });
  for (const t of typed) {
    const byType = s.typed.get(t.member_id) ?? new Map<string, Counter>();
    byType.set(t.task_type, { base: t.open_tasks, value: t.open_tasks });
    s.typed.set(t.member_id, byType);
  }
  for (const t of turns) {
    const byMember = s.turns.get(t.route) ?? new Map<string, number>();
    byMember.set(t.member_id, t.turn);
    s.turns.set(t.route, byMember);
  }
  return s;
}

/** The same Snapshot readSnapshot() builds from the rows (batch-writes.ts), from the batch's copy. */
function snapshotOf(s: TenantState): Snapshot {
  const snapshot: Snapshot = { load: {}, away: {} };
  for (const [id, m] of s.members) {
    if (m.value) snapshot.load[id] = m.value;
    if (m.away) snapshot.away[id] = true;
  }
  const byType: Record<string, Record<string, number>> = {};
  for (const [id, types] of s.typed) {
    for (const [type, c] of types) {
      if (c.value <= 0) continue;
      byType[id] = { ...byType[id], [type]: c.value };
    }
  }
  if (Object.keys(byType).length) snapshot.loadByType = byType;
  if (s.turns.size) {
    snapshot.turns = {};
    for (const [route, members] of s.turns) snapshot.turns[route] = Object.fromEntries(members);
  }
  return snapshot;
}

/**
 * applyDecision() (commit-decision.ts) on the batch's copy: the same capacity guard as
 * addLoad's conditional upsert and the same compare-and-set as takeTurn, else CommitConflict.
 * Nothing changes unless every check passes.
 */
function applyInMemory(s: TenantState, c: DecisionCommit): void {
  const { decision } = c;
  const member = decision.assignee;
  if (member === null) return;
  const capacity = decision.escalated ? null : c.assigneeCapacity;
  const typeCapacity = decision.escalated ? null : c.assigneeTypeCapacity;
  const total = s.members.get(member) ?? { base: null, value: 0, away: false };
  if (capacity !== null && total.value >= capacity) throw new CommitConflict('capacity');
  const type = c.task.type ?? null;
  const typedOfMember = s.typed.get(member) ?? new Map<string, Counter>();
  const typed = type === null ? null : (typedOfMember.get(type) ?? { base: 0, value: 0 });
  if (typed && typeCapacity !== null && typed.value >= typeCapacity) throw new CommitConflict('capacity');
  const route = decision.route;
  const turning = decision.strategy === 'round_robin' && route !== null && !decision.escalated && c.turnSeen !== null;
  if (turning) {
    const turns = s.turns.get(route) ?? new Map<string, number>();
    const cursor = s.cursors.get(route);
    const current = cursor ? cursor.value : Math.max(0, ...turns.values());
    if (current !== c.turnSeen) throw new CommitConflict('cursor');
    const next = current + 1;
    s.cursors.set(route, { base: cursor ? cursor.base : current, value: next, member });
    turns.set(member, next);
    s.turns.set(route, turns);
    s.movedTurns.add(`${route}\0${member}`);
  }
  total.value += 1;
  s.members.set(member, total);
  s.touched.add(member);
  if (typed && type !== null) {
    typed.value += 1;
    typedOfMember.set(type, typed);
    s.typed.set(member, typedOfMember);
    s.touchedTyped.add(`${member}\0${type}`);
  }
}

/** The batch's counter and cursor changes, each compare-and-set against the value read. */
async function writeCounters(trx: Transaction<Database>, tenantId: string, s: TenantState): Promise<void> {
  for (const member of s.touched) {
    const c = s.members.get(member) as Counter;
    if (c.base === c.value) continue;
    const moved = await trx
      .updateTable('member_state')
      .set({ open_tasks: c.value })
      .where('tenant_id', '=', tenantId)
      .where('member_id', '=', member)
      .where('open_tasks', '=', c.base ?? 0)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) {
      const made = c.base === null ? await insertCounter(trx, 'member_state', tenantId, member, null, c.value) : false;
      if (!made) throw new CommitConflict('capacity');
    }
    c.base = c.value;
  }
  for (const pair of s.touchedTyped) {
    const [member, type] = pair.split('\0') as [string, string];
    const c = s.typed.get(member)?.get(type) as Counter;
    if (c.base === c.value) continue;
    const moved = await trx
      .updateTable('member_type_load')
      .set({ open_tasks: c.value })
      .where('tenant_id', '=', tenantId)
      .where('member_id', '=', member)
      .where('task_type', '=', type)
      .where('open_tasks', '=', c.base ?? 0)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) {
      // base 0 covers "0" and "no row": a row that appeared with another value is a conflict.
      if (c.base !== 0 || !(await insertCounter(trx, 'member_type_load', tenantId, member, type, c.value)))
        throw new CommitConflict('capacity');
    }
    c.base = c.value;
  }
  s.touched.clear();
  s.touchedTyped.clear();
  for (const [route, cursor] of s.cursors) {
    if (cursor.base === cursor.value) continue;
    const moved = await trx
      .updateTable('route_cursors')
      .set({ member_id: cursor.member, turn: cursor.value })
      .where('tenant_id', '=', tenantId)
      .where('route', '=', route)
      .where('turn', '=', cursor.base)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) {
      if (cursor.base !== 0) throw new CommitConflict('cursor');
      const inserted = await trx
        .insertInto('route_cursors')
        .values({ tenant_id: tenantId, route, member_id: cursor.member, turn: cursor.value })
        .onConflict((oc) => oc.columns(['tenant_id', 'route']).doNothing())
        .returning('turn')
        .executeTakeFirst();
      if (!inserted) throw new CommitConflict('cursor');
    }
    cursor.base = cursor.value;
  }
  for (const pair of s.movedTurns) {
    const [route, member] = pair.split('\0') as [string, string];
    const turn = s.turns.get(route)?.get(member) as number;
    await trx
      .insertInto('route_turns')
      .values({ tenant_id: tenantId, route, member_id: member, turn })
      .onConflict((oc) => oc.columns(['tenant_id', 'route', 'member_id']).doUpdateSet({ turn }))
      .execute();
  }
  s.movedTurns.clear();
}

/** A counter row that did not exist; false if another writer made it meanwhile. */
async function insertCounter(
  trx: Transaction<Database>,
  table: 'member_state' | 'member_type_load',
  tenantId: string,
  member: string,
  type: string | null,
  value: number,
): Promise<boolean> {
  const made =
    table === 'member_state'
      ? await trx
          .insertInto('member_state')
          .values({ tenant_id: tenantId, member_id: member, open_tasks: value, away: 0 })
          .onConflict((oc) => oc.columns(['tenant_id', 'member_id']).doNothing())
          .returning('open_tasks')
          .executeTakeFirst()
      : await trx
          .insertInto('member_type_load')
          .values({ tenant_id: tenantId, member_id: member, task_type: type as string, open_tasks: value })
          .onConflict((oc) => oc.columns(['tenant_id', 'member_id', 'task_type']).doNothing())
          .returning('open_tasks')
          .executeTakeFirst();
  return made !== undefined;
}
