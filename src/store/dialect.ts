import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What differs between the two databases; everything else in store/ is shared SQL. */
export interface StoreDialect {
  name: 'sqlite' | 'postgres';
  db: Kysely<Database>;
  /** Row locks (SELECT … FOR UPDATE [SKIP LOCKED]). SQLite serialises writers instead. */
  rowLocks: boolean;
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
