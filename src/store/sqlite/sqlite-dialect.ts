import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import {
  CompiledQuery,
  type DialectAdapter,
  type Driver,
  Kysely,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { OpenTransactions } from '../open-transactions.js';
import type { Database } from '../schema.js';
import { lockedStatement, WriteLock } from './write-lock.js';

/**
 * PRAGMAs every SQLite connection gets (the bench's bare-insert ceiling uses the same list):
 * WAL so readers never block the writer; synchronous=FULL so a committed transaction survives
 * power loss, which is what "a 2xx means durable" promises (group commit pays for it).
 * busy_timeout comes first: switching a fresh file to WAL needs a lock another process opening
 * the same file at the same moment may hold.
 */
export const SQLITE_PRAGMAS = ['busy_timeout = 5000', 'journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = OFF'];

export function openSqliteDatabase(path: string): Sqlite.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Sqlite(path);
  for (const p of SQLITE_PRAGMAS) pragmaWhenUnlocked(db, p);
  return db;
}

/**
 * Kysely prepares every query anew; on better-sqlite3 that costs more than a small insert
 * itself (bench profile: ~30 µs prepare vs ~25 µs insert). The store issues a few dozen
 * distinct SQL texts (plus one per row count of each multi-row statement: up to a few hundred),
 * so keep their prepared statements. Safe because Kysely runs one query
 * at a time on this single connection.
 */
function withStatementCache(database: Sqlite.Database, lock: WriteLock, limit = 2048): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= limit) cache.clear();
        statement = lockedStatement(database.prepare(sql), sql, lock);
        cache.set(sql, statement);
      }
      return statement;
    },
    close: () => database.close(),
  };
}

/**
 * Migrations run in one transaction, which begins IMMEDIATE (below): reading which migrations
 * ran and applying the missing ones happen under the write lock, so two processes migrating a
 * fresh file at once take turns and the second finds nothing to do. Kysely's SqliteAdapter
 * declares no transactional DDL and a no-op migration lock, which let both apply 0001.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Transactions begin IMMEDIATE: they take the write lock up front, waiting up to busy_timeout
 * for it. A deferred `begin` that reads first and writes later fails at once with SQLITE_BUSY
 * when another process (a CLI command beside a running server) committed in between; the busy
 * handler cannot help there. Within one process there is one connection, so nothing changes.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly transactions: OpenTransactions,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    // The guard (open-transactions.ts): the one connection is taken by the open transaction, so
    // a main-handle query from inside it would wait forever; it throws instead.
    const driver = this.transactions.guard(super.createDriver());
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** `writeLock`: shared with the other threads of this process that write the same file (write-lock.ts). */
export function createSqliteDialect(path: string, writeLock?: SharedArrayBuffer): StoreDialect {
  const database = withStatementCache(openSqliteDatabase(path), new WriteLock(writeLock));
  const transactions = new OpenTransactions();
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }, transactions) });
  return {
    name: 'sqlite',
    db,
    rowLocks: false,
    maxParameters: 32_766,
    transactions,
    isUniqueViolation: (e) =>
      typeof (e as { code?: unknown })?.code === 'string' &&
      /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test((e as { code: string }).code),
    close: () => db.destroy(),
  };
}

/**
 * Switching a fresh file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once
 * (no busy handler) when another process opening the same new file holds it: seen as
 * `database is locked` with four processes migrating one fresh file. Try again, bounded.
 */
function pragmaWhenUnlocked(db: Sqlite.Database, pragma: string, attempts = 100): void {
  for (let i = 1; ; i++) {
    try {
      db.pragma(pragma);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || i >= attempts) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}
