import type { Kysely } from 'kysely';
import type { OpenTransactions } from './open-transactions.js';
import type { Database } from './schema.js';

/** What differs between the two databases; everything else in store/ is shared SQL. */
export interface StoreDialect {
  name: 'sqlite' | 'postgres';
  db: Kysely<Database>;
  /** Row locks (SELECT … FOR UPDATE [SKIP LOCKED]). SQLite serialises writers instead. */
  rowLocks: boolean;
  /** Bound parameters one statement may carry (SQLite's SQLITE_MAX_VARIABLE_NUMBER; PostgreSQL's protocol limit). */
  maxParameters: number;
  isUniqueViolation(error: unknown): boolean;
  /** The open transactions, whose drivers refuse main-handle queries from inside one (the guard). */
  transactions: OpenTransactions;
  close(): Promise<void>;
}
