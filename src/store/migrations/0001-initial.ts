import { type Kysely, sql } from 'kysely';

/** Portable DDL: text, integer and bigint only, so one migration serves SQLite and PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('integration', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('duplicates', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('task_id', 'text')
    .addColumn('decision_id', 'text')
    .addColumn('error', 'text')
    .addColumn('processed_at', 'text')
    .addPrimaryKeyConstraint('events_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('events_dedupe_uq', ['tenant_id', 'integration', 'dedupe_key'])
    .execute();
  // Workers claim by status in id (arrival) order.
  await db.schema.createIndex('events_claim_ix').on('events').columns(['status', 'id']).execute();

  await db.schema
    .createTable('tasks')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('integration', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('queue', 'text')
    .addColumn('priority', 'integer')
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('current_decision_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tasks_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('tasks_external_uq', ['tenant_id', 'external_id'])
    .execute();
  await db.schema.createIndex('tasks_assignee_ix').on('tasks').columns(['tenant_id', 'assignee', 'id']).execute();
  await db.schema.createIndex('tasks_status_ix').on('tasks').columns(['tenant_id', 'status', 'id']).execute();

  await db.schema
    .createTable('decisions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('queue', 'text')
    .addColumn('route', 'text')
    .addColumn('strategy', 'text')
    .addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('input_hash', 'text', (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('supersedes_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('actor', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decisions_pk', ['tenant_id', 'id'])
    .execute();
  // Invariant 1/2 enforced by the database: one event, at most one decision.
  await db.schema
    .createIndex('decisions_event_uq')
    .on('decisions')
    .columns(['tenant_id', 'event_id'])
    .unique()
    .where(sql.ref('event_id'), 'is not', null)
    .execute();
  await db.schema.createIndex('decisions_task_ix').on('decisions').columns(['tenant_id', 'task_id', 'id']).execute();

  await db.schema
    .createTable('member_state')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('open_tasks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('away', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('member_state_pk', ['tenant_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('route_cursors')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('route_cursors_pk', ['tenant_id', 'route'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['tenant_id', 'seq'])
    .execute();
  await db.schema
    .createTable('audit_heads')
    .addColumn('tenant_id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('outbox_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('outbox_idempotency_uq', ['tenant_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('outbox_due_ix').on('outbox').columns(['status', 'next_attempt_at']).execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('dead_letters_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addPrimaryKeyConstraint('api_keys_pk', ['tenant_id', 'id'])
    .execute();
  // Keys are looked up by id before the tenant is known; the id is random, so this stays selective.
  await db.schema.createIndex('api_keys_id_ix').on('api_keys').column('id').execute();

  await db.schema
    .createTable('policy_versions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_versions_pk', ['tenant_id', 'version'])
    .execute();
}
