/**
 * Every migration, in order, and the one way to apply them. On SQLite the Migrator reads what
 * ran and applies the rest in one transaction that begins IMMEDIATE (sqlite/sqlite-dialect.ts),
 * on PostgreSQL under Kysely's advisory lock: processes migrating one database at once take
 * turns, and the later ones find nothing to do.
 */
import { type Kysely, type Migration, Migrator } from 'kysely';
import type { Database } from '../schema.js';
import * as initial from './0001-initial.js';
import * as openEventsIndex from './0002-open-events-index.js';
import * as routingState from './0003-routing-state.js';
import * as eventMeta from './0004-event-meta.js';
import * as integrationSecrets from './0005-integration-secrets.js';
import * as outboxLeases from './0006-outbox-leases.js';
import * as subscriptions from './0007-subscriptions.js';
import * as policyVersions from './0008-policy-versions.js';
import * as functions from './0009-functions.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-open-events-index': openEventsIndex,
  '0003-routing-state': routingState,
  '0004-event-meta': eventMeta,
  '0005-integration-secrets': integrationSecrets,
  '0006-outbox-leases': outboxLeases,
  '0007-subscriptions': subscriptions,
  '0008-policy-versions': policyVersions,
  '0009-functions': functions,
};

/** The table Kysely's Migrator records applied migrations in: a database without it has no schema. */
export const MIGRATION_TABLE = 'kysely_migration';

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? error}`);
  }
}
