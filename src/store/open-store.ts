import { createPostgresDialect } from './postgres/postgres-dialect.js';
import { createSqlStore, type SqlStore } from './sql-store.js';
import { createSqliteDialect } from './sqlite/sqlite-dialect.js';

export const DEFAULT_DB_URL = 'sqlite:./data/switchyard.db';

/** `sqlite:PATH` or `postgres://…` (also `postgresql://…`). Migrations run before the store is returned. */
export async function openStore(url: string = DEFAULT_DB_URL, options: { migrate?: boolean } = {}): Promise<SqlStore> {
  const store = createSqlStore(dialectFor(url));
  if (options.migrate !== false) await store.migrate();
  return store;
}

function dialectFor(url: string) {
  if (url.startsWith('sqlite:')) return createSqliteDialect(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return createPostgresDialect(url);
  throw new Error(`unsupported database URL "${url}": use sqlite:PATH or postgres://…`);
}
