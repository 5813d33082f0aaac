import { type Kysely, sql } from 'kysely';

/**
 * Policy as versioned, reviewed code (issue 7).
 * - policy_versions gains who made it, why, from which parent, a per-tenant number for people,
 *   and its review state (`not_required` | `pending` | `approved`). Rows stay immutable apart
 *   from the review fields; the document and its hash never change.
 * - policy_active holds the one active version per tenant; policy_activations records every
 *   change of it (activation, rollback) so "what was live when" is a query.
 * - decisions.task keeps the Task exactly as decide() saw it, so replay and simulation are exact.
 * - api_keys.scopes: JSON array of extra scopes (`policy:approve`); null = none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policy_versions').addColumn('number', 'integer').execute();
  await db.schema.alterTable('policy_versions').addColumn('parent', 'text').execute();
  await db.schema.alterTable('policy_versions').addColumn('author', 'text').execute();
  await db.schema.alterTable('policy_versions').addColumn('message', 'text').execute();
  await db.schema.alterTable('policy_versions').addColumn('review', 'text').execute();
  await db.schema.alterTable('policy_versions').addColumn('approved_by', 'text').execute();
  await db.schema.alterTable('policy_versions').addColumn('approved_at', 'text').execute();

  await db.schema
    .createTable('policy_active')
    .addColumn('tenant_id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('policy_activations')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('previous', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_activations_pk', ['tenant_id', 'id'])
    .execute();

  // Versions recorded before 0008 (one per config content a server booted with): number them in
  // the order they were made; they needed no review. Which one is active is decided at boot.
  await sql`
    update policy_versions set review = 'not_required', number = (
      select count(*) from policy_versions p
      where p.tenant_id = policy_versions.tenant_id
        and (p.created_at < policy_versions.created_at
          or (p.created_at = policy_versions.created_at and p.version <= policy_versions.version)))
    where number is null`.execute(db);

  await db.schema.alterTable('decisions').addColumn('task', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('scopes', 'text').execute();
}
