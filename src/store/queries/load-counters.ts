/**
 * Open-task counters (total and per task type) and round-robin turns. Every change goes
 * through here, guarded in SQL, so the counters stay exact under concurrency on both stores:
 * the database, not a snapshot, has the last word on capacity and turns.
 */
import { sql, type Transaction } from 'kysely';
import { CommitConflict } from '../errors.js';
import type { Database } from '../schema.js';

export interface LoadTarget {
  tenantId: string;
  memberId: string;
  taskType: string | null;
}

/**
 * +1 open task. With a capacity, only while below it (and below the per-type capacity when
 * one applies), else CommitConflict('capacity'). Without (a person's override, on-call
 * escalation), unconditionally.
 */
export async function addLoad(
  trx: Transaction<Database>,
  t: LoadTarget,
  limits: { capacity: number | null; typeCapacity: number | null },
): Promise<void> {
  const { tenantId, memberId, taskType } = t;
  if (limits.capacity !== null && limits.capacity < 1) throw new CommitConflict('capacity');
  const total = await trx
    .insertInto('member_state')
    .values({ tenant_id: tenantId, member_id: memberId, open_tasks: 1, away: 0 })
    .onConflict((oc) => {
      const update = oc
        .columns(['tenant_id', 'member_id'])
        .doUpdateSet({ open_tasks: sql`member_state.open_tasks + 1` });
      return limits.capacity === null ? update : update.where('member_state.open_tasks', '<', limits.capacity);
    })
    .returning('open_tasks')
    .executeTakeFirst();
  if (!total) throw new CommitConflict('capacity');
  if (taskType === null) return;
  if (limits.typeCapacity !== null && limits.typeCapacity < 1) throw new CommitConflict('capacity');
  const typed = await trx
    .insertInto('member_type_load')
    .values({ tenant_id: tenantId, member_id: memberId, task_type: taskType, open_tasks: 1 })
    .onConflict((oc) => {
      const update = oc
        .columns(['tenant_id', 'member_id', 'task_type'])
        .doUpdateSet({ open_tasks: sql`member_type_load.open_tasks + 1` });
      return limits.typeCapacity === null
        ? update
        : update.where('member_type_load.open_tasks', '<', limits.typeCapacity);
    })
    .returning('open_tasks')
    .executeTakeFirst();
  if (!typed) throw new CommitConflict('capacity');
}

/** −1 open task (never below zero). */
export async function removeLoad(trx: Transaction<Database>, t: LoadTarget): Promise<void> {
  await trx
    .updateTable('member_state')
    .set({ open_tasks: sql`open_tasks - 1` })
    .where('tenant_id', '=', t.tenantId)
    .where('member_id', '=', t.memberId)
    .where('open_tasks', '>', 0)
    .execute();
  if (t.taskType === null) return;
  await trx
    .updateTable('member_type_load')
    .set({ open_tasks: sql`open_tasks - 1` })
    .where('tenant_id', '=', t.tenantId)
    .where('member_id', '=', t.memberId)
    .where('task_type', '=', t.taskType)
    .where('open_tasks', '>', 0)
    .execute();
}

/**
 * Round-robin: move the route's turn counter from `seen` to `seen + 1` (compare-and-set, so
 * two concurrent decisions cannot both take one turn) and record it as the member's last turn.
 */
export async function takeTurn(
  trx: Transaction<Database>,
  tenantId: string,
  route: string,
  seen: number,
  memberId: string,
): Promise<void> {
  const moved = await trx
    .updateTable('route_cursors')
    .set({ member_id: memberId, turn: seen + 1 })
    .where('tenant_id', '=', tenantId)
    .where('route', '=', route)
    .where('turn', '=', seen)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) {
    if (seen !== 0) throw new CommitConflict('cursor');
    const inserted = await trx
      .insertInto('route_cursors')
      .values({ tenant_id: tenantId, route, member_id: memberId, turn: 1 })
      .onConflict((oc) => oc.columns(['tenant_id', 'route']).doNothing())
      .returning('turn')
      .executeTakeFirst();
    if (!inserted) throw new CommitConflict('cursor');
  }
  await trx
    .insertInto('route_turns')
    .values({ tenant_id: tenantId, route, member_id: memberId, turn: seen + 1 })
    .onConflict((oc) => oc.columns(['tenant_id', 'route', 'member_id']).doUpdateSet({ turn: seen + 1 }))
    .execute();
}
