import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';

const INT8_OID = 20;

/** int8 (audit seq) as a JS number: exact up to 2^53, far beyond any tenant's audit length. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function createPostgresDialect(connectionString: string, poolSize = 10): StoreDialect {
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    name: 'postgres',
    db,
    rowLocks: true,
    isUniqueViolation: (e) => (e as { code?: unknown })?.code === '23505',
    close: () => db.destroy(),
  };
}
