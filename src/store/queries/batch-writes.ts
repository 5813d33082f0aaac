/**
 * The pipeline's reads and writes inside one shared transaction (Store.batch). Each write
 * runs under its own savepoint, so one event's conflict or failure rolls back only that
 * event's rows (and on PostgreSQL does not poison the rest of the transaction).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Snapshot, Task } from '../../core/index.js';
import type { StoreDialect } from '../dialect.js';
import { toTaskRow } from '../rows.js';
import type { Database } from '../schema.js';
import type { ClaimedEvent, CommittedDecision, DecisionCommit, PipelineWrites, TaskRow } from '../store.js';
import { commitDecision } from './commit-decision.js';
import { deadLetterEvent, mergeIntoTask } from './event-outcomes.js';

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

  commitDecision(c: DecisionCommit): Promise<CommittedDecision> {
    return this.isolated(() => commitDecision(this.d, this.trx, c));
  }

  mergeIntoTask(event: ClaimedEvent, existing: TaskRow, task: Task, now: string): Promise<void> {
    return this.isolated(() => mergeIntoTask(this.d, this.trx, event, existing, task, now));
  }

  deadLetterEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.isolated(() => deadLetterEvent(this.d, this.trx, event, reason, now));
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

export async function readSnapshot(db: Kysely<Database>, tenantId: string): Promise<Snapshot> {
  const members = await db
    .selectFrom('member_state')
    .select(['member_id', 'open_tasks', 'away'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const cursors = await db
    .selectFrom('route_cursors')
    .select(['route', 'member_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const snapshot: Snapshot = { load: {}, away: {}, cursors: {} };
  for (const m of members) {
    if (m.open_tasks) snapshot.load[m.member_id] = m.open_tasks;
    if (m.away) snapshot.away[m.member_id] = true;
  }
  for (const c of cursors) snapshot.cursors[c.route] = c.member_id;
  return snapshot;
}
