import type { Kysely } from 'kysely';

/** The source headers a normalizer needs later (e.g. X-GitHub-Event), as JSON; null for none. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('meta', 'text').execute();
}
