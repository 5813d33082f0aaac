import type { Kysely } from 'kysely';

/**
 * Routing state for skills, per-type capacity, fair round-robin and the backlog:
 * - route_turns: each member's last turn per round-robin route (the route's counter lives in
 *   route_cursors.turn and is compared-and-set on every assignment);
 * - member_type_load: open tasks per member per task type, for capacityByType;
 * - tasks.type / due_at / queue_rank / closed_at: the backlog is ordered by queue_rank
 *   (priority after any VIP boost), then due time, then arrival.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('route_cursors')
    .addColumn('turn', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('route_turns')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('turn', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('route_turns_pk', ['tenant_id', 'route', 'member_id'])
    .execute();
  await db.schema
    .createTable('member_type_load')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('task_type', 'text', (c) => c.notNull())
    .addColumn('open_tasks', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('member_type_load_pk', ['tenant_id', 'member_id', 'task_type'])
    .execute();
  await db.schema.alterTable('tasks').addColumn('type', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('due_at', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('queue_rank', 'integer').execute();
  await db.schema.alterTable('tasks').addColumn('closed_at', 'text').execute();
  await db.schema
    .createIndex('tasks_backlog_ix')
    .on('tasks')
    .columns(['tenant_id', 'status', 'queue_rank', 'due_at', 'id'])
    .execute();
}
