/**
 * The buffered batch's copy of a tenant's routing state (buffered-writes.ts): the load
 * counters and round-robin turns as read once per batch, each decision applied to them with
 * the checks the SQL would make, and the changes written back compare-and-set.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Snapshot } from '../../core/index.js';
import { CommitConflict } from '../errors.js';
import type { DecisionCommit } from '../pipeline-store.js';
import type { Database } from '../schema.js';
import { readSnapshotRows } from './batch-writes.js';

/** A counter as read (null: no row) and as the batch has changed it. */
interface Counter {
  base: number | null;
  value: number;
}

export interface TenantState {
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

export async function readState(db: Kysely<Database>, tenantId: string): Promise<TenantState> {
  const { members, typed, turns } = await readSnapshotRows(db, tenantId);
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
export function snapshotOf(s: TenantState): Snapshot {
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
export function applyInMemory(s: TenantState, c: DecisionCommit): void {
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
export async function writeCounters(trx: Transaction<Database>, tenantId: string, s: TenantState): Promise<void> {
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
