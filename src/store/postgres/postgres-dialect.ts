import { type Driver, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { StoreDialect } from '../dialect.js';
import { OpenTransactions } from '../open-transactions.js';
import type { Database } from '../schema.js';

const INT8_OID = 20;

/** int8 (audit seq) as a JS number: exact up to 2^53, far beyond any tenant's audit length. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The same guard as on SQLite (open-transactions.ts): here a main-handle query from inside a
 * transaction would take a second pooled connection and read outside the transaction (and
 * wait on its row locks); it throws instead, so both stores hold one rule.
 */
class GuardedPostgresDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly transactions: OpenTransactions,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return this.transactions.guard(super.createDriver());
  }
}

export function createPostgresDialect(connectionString: string, poolSize = 10): StoreDialect {
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  const transactions = new OpenTransactions();
  const db = new Kysely<Database>({ dialect: new GuardedPostgresDialect({ pool }, transactions) });
  return {
    name: 'postgres',
    db,
    rowLocks: true,
    maxParameters: 65_535,
    transactions,
    isUniqueViolation: (e) => (e as { code?: unknown })?.code === '23505',
    close: () => db.destroy(),
  };
}
