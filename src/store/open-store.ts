import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StoreDialect } from './dialect.js';
import { MIGRATION_TABLE } from './migrations/index.js';
import { createPostgresDialect } from './postgres/postgres-dialect.js';
import { createSqlStore, type SqlStore } from './sql-store.js';
import { createSqliteDialect } from './sqlite/sqlite-dialect.js';

export const DEFAULT_DB_URL = 'sqlite:./data/switchyard.db';

export interface OpenStoreOptions {
  /** Run migrations before the store is returned (default true). */
  migrate?: boolean;
  /**
   * false: the database must exist already (default true). A SQLite file that does not exist
   * is not created, and a PostgreSQL database without our schema (no migrations table) is
   * refused: a read command pointed at a typo fails instead of reading an empty new database.
   */
  create?: boolean;
  /**
   * SQLite: the 4-byte buffer of the write lock shared by the threads of this process that
   * write this file (serve and its pipeline thread; sqlite/write-lock.ts). Default: private.
   */
  sqliteWriteLock?: SharedArrayBuffer;
}

/** The store named by a URL nobody ever migrated: `openStore(url, { create: false })` refuses it. */
export class StoreNotFound extends Error {
  constructor(readonly url: string) {
    super(
      url.startsWith('sqlite:')
        ? `no database at ${resolve(url.slice('sqlite:'.length))} (check --db; "switchyard migrate" creates one)`
        : `the database ${redacted(url)} has no Switchyard schema (check --db; "switchyard migrate" creates it)`,
    );
    this.name = 'StoreNotFound';
  }
}

/** `sqlite:PATH` or `postgres://…` (also `postgresql://…`). Migrations run before the store is returned. */
export async function openStore(url: string = DEFAULT_DB_URL, options: OpenStoreOptions = {}): Promise<SqlStore> {
  if (options.create === false && url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === ':memory:' || !existsSync(path)) throw new StoreNotFound(url);
  }
  const dialect = dialectFor(url, options.sqliteWriteLock);
  if (options.create === false && !(await hasSchema(dialect))) {
    await dialect.close();
    throw new StoreNotFound(url);
  }
  const store = createSqlStore(dialect);
  if (options.migrate !== false) await store.migrate();
  return store;
}

function dialectFor(url: string, sqliteWriteLock?: SharedArrayBuffer) {
  if (url.startsWith('sqlite:')) return createSqliteDialect(url.slice('sqlite:'.length), sqliteWriteLock);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return createPostgresDialect(url);
  throw new Error(`unsupported database URL "${url}": use sqlite:PATH or postgres://…`);
}

/** Whether anything ever migrated this database (an existing but empty SQLite file has no schema either). */
async function hasSchema(d: StoreDialect): Promise<boolean> {
  const tables = await d.db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.some((t) => t.name === MIGRATION_TABLE);
}

function redacted(url: string): string {
  try {
    const u = new URL(url);
    u.password = u.password ? '***' : '';
    return u.toString();
  } catch {
    return 'at --db';
  }
}
