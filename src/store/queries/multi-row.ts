/**
 * Multi-row statements for the pipeline's buffered batch, compiled without Kysely's query
 * builder: building and compiling a 40-row insert through it costs more than SQLite takes to
 * run it (bench profile: parseRowValues, visitNode, freeze). The SQL text depends only on the
 * table, the columns and the row count, so it is built once per shape and the dialect's
 * statement cache keeps it prepared. Identifiers are code constants, never input; every value
 * is a bound parameter.
 */
import { CompiledQuery, type Insertable, type Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';

/** Rows per statement: well inside SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const ROWS_PER_STATEMENT = 200;

/** `items` in runs of at most ROWS_PER_STATEMENT. */
export function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

type Value = string | number | null;
const texts = new Map<string, string>();

function placeholders(d: StoreDialect, rows: number, columns: number): string {
  const out: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(d.name === 'postgres' ? `$${++n}` : '?');
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

function cached(key: string, build: () => string): string {
  let text = texts.get(key);
  if (text === undefined) {
    text = build();
    texts.set(key, text);
  }
  return text;
}

/** INSERT of `rows` (all with the keys of the first), in chunks. */
export async function insertRows<T extends keyof Database & string>(
  d: StoreDialect,
  trx: Transaction<Database>,
  table: T,
  rows: Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object);
  for (const chunk of chunks(rows)) {
    const text = cached(
      `${d.name}\0insert\0${table}\0${columns.join(',')}\0${chunk.length}`,
      () =>
        `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${placeholders(d, chunk.length, columns.length)}`,
    );
    const params: Value[] = [];
    for (const row of chunk) for (const c of columns) params.push(((row as Record<string, Value>)[c] ?? null) as Value);
    await trx.executeQuery(CompiledQuery.raw(text, params));
  }
}

/** One event the batch ends as decided (finishEvent, many at once). */
export interface DecidedEvent {
  tenantId: string;
  id: string;
  leaseOwner: string;
  taskId: string;
  decisionId: string;
  now: string;
}

/**
 * finishEvent(…, 'decided', …) for many events in one UPDATE … FROM (VALUES …) per chunk
 * (SQLite ≥ 3.33 and PostgreSQL both name the columns of VALUES column1, column2, …). Only
 * rows still `processing` under the same lease change; the number changed is returned, so the
 * caller can tell a lost lease.
 */
export async function finishDecidedEvents(
  d: StoreDialect,
  trx: Transaction<Database>,
  events: DecidedEvent[],
): Promise<number> {
  let changed = 0;
  for (const chunk of chunks(events)) {
    const text = cached(`${d.name}\0finish\0${chunk.length}`, () =>
      [
        `update "events" set "status" = 'decided', "task_id" = v.column3, "decision_id" = v.column4,`,
        `"error" = null, "processed_at" = v.column5, "lease_owner" = null, "lease_until" = null`,
        `from (values ${placeholders(d, chunk.length, 6)}) as v`,
        `where "events"."tenant_id" = v.column1 and "events"."id" = v.column2`,
        `and "events"."status" = 'processing' and "events"."lease_owner" = v.column6`,
      ].join(' '),
    );
    const params: Value[] = [];
    for (const e of chunk) params.push(e.tenantId, e.id, e.taskId, e.decisionId, e.now, e.leaseOwner);
    const result = await trx.executeQuery(CompiledQuery.raw(text, params));
    changed += Number(result.numAffectedRows ?? 0);
  }
  return changed;
}
