import type { Kysely } from 'kysely';

/**
 * Custom functions (issue 6): every upload is an immutable version, numbered per (tenant, name).
 * `manifest` is the JSON of kind, runtime, remote spec, field allow-list, output schema and
 * limits; `source` what was uploaded, `code` what runs (TypeScript with its types stripped).
 * function_secrets holds each remote function's signing secret, encrypted like subscriptions'.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('functions')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('runtime', 'text', (c) => c.notNull())
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('code', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('functions_pk', ['tenant_id', 'name', 'version'])
    .execute();
  await db.schema
    .createTable('function_secrets')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('function_secrets_pk', ['tenant_id', 'name'])
    .execute();
}
