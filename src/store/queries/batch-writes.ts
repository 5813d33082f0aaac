/**
 * The pipeline's reads and writes inside one shared transaction (Store.batch). Each write
 * runs under its own savepoint, so one event's conflict or failure rolls back only that
 * event's rows (and on PostgreSQL does not poison the rest of the transaction).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Snapshot, Task } from '../../core/index.js';
import type { StoreDialect } from '../dialect.js';
import type { ClaimedEvent } from '../event-store.js';
import type {
  CommittedDecision,
  DecisionCommit,
  EventCloseAction,
  EventOverrideAction,
  PipelineWrites,
  RedecisionCommit,
} from '../pipeline-store.js';
import { toTaskRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { TaskRow } from '../task-store.js';
import { commitDecision } from './commit-decision.js';
import { closeFromEvent, ignoreEvent, overrideFromEvent } from './event-actions.js';
import { deadLetterEvent, mergeIntoTask } from './event-outcomes.js';
import { commitRedecision, listBacklog } from './task-lifecycle.js';

export class BatchWrites implements PipelineWrites {
  private savepoints = 0;

  constructor(
    private readonly d: StoreDialect,
    private readonly trx: Transaction<Database>,
  ) {}

  findTaskByExternalId(tenantId: string, externalId: string): Promise<TaskRow | undefined> {
    return findTaskByExternalId(this.trx, tenantId, externalId);
  }

  readSnapshot(tenantId: string): Promise<Snapshot> {
    return readSnapshot(this.trx, tenantId);
  }

  assigneesOf(tenantId: string, externalIds: string[]): Promise<Record<string, string>> {
    return assigneesOf(this.trx, tenantId, externalIds);
  }

  commitDecision(c: DecisionCommit): Promise<CommittedDecision> {
    return this.isolated(() => commitDecision(this.d, this.trx, c));
  }

  mergeIntoTask(event: ClaimedEvent, existing: TaskRow, task: Task, now: string): Promise<void> {
    return this.isolated(() => mergeIntoTask(this.d, this.trx, event, existing, task, now));
  }

  deadLetterEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.isolated(() => deadLetterEvent(this.d, this.trx, event, reason, now));
  }

  ignoreEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.isolated(() => ignoreEvent(this.trx, event, reason, now));
  }

  closeFromEvent(event: ClaimedEvent, action: EventCloseAction, now: string): Promise<'applied' | 'ignored'> {
    return this.isolated(() => closeFromEvent(this.d, this.trx, event, action, now));
  }

  overrideFromEvent(event: ClaimedEvent, action: EventOverrideAction, now: string): Promise<'applied' | 'ignored'> {
    return this.isolated(() => overrideFromEvent(this.d, this.trx, event, action, now));
  }

  listBacklog(tenantId: string, limit: number): Promise<TaskRow[]> {
    return listBacklog(this.trx, tenantId, limit);
  }

  commitRedecision(c: RedecisionCommit): Promise<void> {
    return this.isolated(() => commitRedecision(this.d, this.trx, c));
  }

  private async isolated<T>(write: () => Promise<T>): Promise<T> {
    const name = sql.id(`w${++this.savepoints}`);
    await sql`savepoint ${name}`.execute(this.trx);
    try {
      const result = await write();
      await sql`release savepoint ${name}`.execute(this.trx);
      return result;
    } catch (e) {
      await sql`rollback to savepoint ${name}`.execute(this.trx);
      await sql`release savepoint ${name}`.execute(this.trx);
      throw e;
    }
  }
}

export async function findTaskByExternalId(
  db: Kysely<Database>,
  tenantId: string,
  externalId: string,
): Promise<TaskRow | undefined> {
  const r = await db
    .selectFrom('tasks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return r && toTaskRow(r);
}

/** The rows a snapshot is made of (shared with buffered-writes.ts, which keeps them in memory). */
export async function readSnapshotRows(db: Kysely<Database>, tenantId: string) {
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
  return { members, typed, turns };
}

/** The store's part of a snapshot: open tasks (total and per type), away flags, round-robin turns. */
export async function readSnapshot(db: Kysely<Database>, tenantId: string): Promise<Snapshot> {
  const { members, typed, turns } = await readSnapshotRows(db, tenantId);
  const snapshot: Snapshot = { load: {}, away: {} };
  for (const m of members) {
    if (m.open_tasks) snapshot.load[m.member_id] = m.open_tasks;
    if (m.away) snapshot.away[m.member_id] = true;
  }
  if (typed.length) snapshot.loadByType = nest(typed.map((t) => [t.member_id, t.task_type, t.open_tasks]));
  if (turns.length) snapshot.turns = nest(turns.map((t) => [t.route, t.member_id, t.turn]));
  return snapshot;
}

/** Assignees of tasks by external id (for the sticky strategy); only tasks that have one. */
export async function assigneesOf(
  db: Kysely<Database>,
  tenantId: string,
  externalIds: string[],
): Promise<Record<string, string>> {
  if (externalIds.length === 0) return {};
  const rows = await db
    .selectFrom('tasks')
    .select(['external_id', 'assignee'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', 'in', externalIds)
    .where('assignee', 'is not', null)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.external_id, r.assignee as string]));
}

/** [outer, inner, value] rows → { outer: { inner: value } }. */
function nest(rows: [string, string, number][]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [outer, inner, value] of rows) {
    const group = out[outer] ?? {};
    group[inner] = value;
    out[outer] = group;
  }
  return out;
}
