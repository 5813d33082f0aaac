/**
 * Preloaded into a bench server child (`node --import tsx --import ./bench/child-probe.ts …`)
 * when BENCH_PROBE_OUT is set; the application code is untouched. Measures a window the bench
 * marks with two SIGUSR2 signals:
 *
 * - with BENCH_PROBE_SQL=1, every SQL statement the process executes, by normalised text: how often, and how long the
 *   driver call took (better-sqlite3: the synchronous call on the main thread, i.e. SQLite's own
 *   work including the fsync of a COMMIT; pg: from sending the query to its answer, which
 *   includes waiting on the server and on the event loop);
 * - the process's CPU time (user + system) and event-loop utilisation;
 * - with BENCH_PROBE_CPU_PROF=1, a V8 CPU profile of just that window (node:inspector).
 *
 * At the second signal it writes `<BENCH_PROBE_OUT>.sql.json` (and `.cpuprofile`), then
 * `<BENCH_PROBE_OUT>.done`, which the bench waits for.
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const out = process.env.BENCH_PROBE_OUT;
const require = createRequire(import.meta.url);

interface Stat {
  count: number;
  ms: number;
}
const stats = new Map<string, Stat>();
let on = false;

/** Literal values and savepoint numbers vary per call; the statement's shape is what we count. */
function shape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/"w\d+"/g, '"w#"')
    .replace(/\$\d+/g, '?')
    .trim()
    .slice(0, 160);
}

/**
 * Transactions, by what they did (their first write names them): how long each held its
 * connection from BEGIN to COMMIT (wall time, the JavaScript between statements included —
 * on SQLite everything else waits that long), and how much of it was the statements.
 */
interface Txn {
  startedAt: number;
  kind: string | null;
  statements: number;
  sqlMs: number;
}
interface TxnStat {
  count: number;
  heldMs: number;
  sqlMs: number;
  statements: number;
  maxHeldMs: number;
  held: number[];
}
const open = new Map<object, Txn>();
const transactions = new Map<string, TxnStat>();

function kindOf(sql: string): string | null {
  if (sql.startsWith('insert into "events"')) return 'intake insert';
  if (
    sql.startsWith('update "events" set "status" = ?, "task_id"') ||
    sql.startsWith('update "events" set "status" = \'decided\'') || // the buffered batch's multi-row end
    sql.startsWith('savepoint')
  )
    return 'pipeline batch';
  if (sql.startsWith('update "outbox" set "status"')) return 'outbox completions';
  if (sql.startsWith('insert into "audit_heads"')) return null; // the pipeline locks the audit heads first
  if (/^(insert|update|delete)/.test(sql)) return `other: ${sql.slice(0, 40)}`;
  return null;
}

function track(conn: object, key: string, startedAt: number, ms: number): void {
  if (key === 'begin' || key === 'begin immediate') {
    open.set(conn, { startedAt, kind: null, statements: 0, sqlMs: ms });
    return;
  }
  const t = open.get(conn);
  if (!t) return;
  t.statements++;
  t.sqlMs += ms;
  t.kind ??= kindOf(key);
  if (key !== 'commit' && key !== 'rollback') return;
  open.delete(conn);
  const kind = t.kind ?? 'read only';
  const heldMs = startedAt + ms - t.startedAt;
  const s = transactions.get(kind) ?? { count: 0, heldMs: 0, sqlMs: 0, statements: 0, maxHeldMs: 0, held: [] };
  s.count++;
  s.heldMs += heldMs;
  s.sqlMs += t.sqlMs;
  s.statements += t.statements;
  s.maxHeldMs = Math.max(s.maxHeldMs, heldMs);
  s.held.push(heldMs);
  transactions.set(kind, s);
}

const shapes = new Map<string, string>();
const SQLITE_CONNECTION = {};

function record(sql: string, ms: number, conn: object, startedAt: number): void {
  let key = shapes.get(sql);
  if (key === undefined) {
    key = shape(sql);
    if (shapes.size < 10_000) shapes.set(sql, key);
  }
  const s = stats.get(key);
  if (s) {
    s.count++;
    s.ms += ms;
  } else stats.set(key, { count: 1, ms });
  track(conn, key, startedAt, ms);
}

function patchSqlite(): void {
  let Sqlite: typeof import('better-sqlite3');
  try {
    Sqlite = require('better-sqlite3');
  } catch {
    return;
  }
  const probe = new Sqlite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = proto[method] as (this: { source: string }, ...args: unknown[]) => unknown;
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      if (!on) return original.apply(this, args);
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        record(this.source, performance.now() - t, SQLITE_CONNECTION, t);
      }
    };
  }
}

function patchPg(): void {
  let pg: typeof import('pg');
  try {
    pg = require('pg');
  } catch {
    return;
  }
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    if (on && text && result instanceof Promise) {
      const t = performance.now();
      const conn = this as object;
      result.then(
        () => record(text, performance.now() - t, conn, t),
        () => record(text, performance.now() - t, conn, t),
      );
    }
    return result;
  };
}

if (out) {
  // Counting costs the child about a microsecond per statement; the profile alone does not need it.
  if (process.env.BENCH_PROBE_SQL === '1') {
    patchSqlite();
    patchPg();
  }
  const profile = process.env.BENCH_PROBE_CPU_PROF === '1';
  const session = profile ? new Session() : null;
  let started: { at: number; cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization> } | null =
    null;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!started) {
        stats.clear();
        transactions.clear();
        open.clear();
        if (session) {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 1000 });
          await session.post('Profiler.start');
        }
        started = { at: performance.now(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
        on = true;
        return;
      }
      on = false;
      const wallMs = performance.now() - started.at;
      const cpu = process.cpuUsage(started.cpu);
      const elu = performance.eventLoopUtilization(started.elu);
      if (session) {
        const { profile: p } = await session.post('Profiler.stop');
        writeFileSync(`${out}.cpuprofile`, JSON.stringify(p));
        session.disconnect();
      }
      const statements = [...stats]
        .map(([sql, s]) => ({ sql, count: s.count, ms: Math.round(s.ms * 10) / 10 }))
        .sort((a, b) => b.ms - a.ms);
      writeFileSync(
        `${out}.sql.json`,
        JSON.stringify({
          wallMs: Math.round(wallMs),
          cpuUserMs: Math.round(cpu.user / 1000),
          cpuSystemMs: Math.round(cpu.system / 1000),
          eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
          transactions: [...transactions].map(([kind, t]) => {
            const held = t.held.sort((a, b) => a - b);
            const at = (q: number) =>
              Math.round((held[Math.min(held.length - 1, Math.ceil(q * held.length) - 1)] ?? 0) * 100) / 100;
            return {
              kind,
              count: t.count,
              statementsEach: Math.round((t.statements / t.count) * 10) / 10,
              heldMsTotal: Math.round(t.heldMs),
              sqlMsTotal: Math.round(t.sqlMs),
              heldMsP50: at(0.5),
              heldMsP99: at(0.99),
              heldMsMax: Math.round(t.maxHeldMs * 100) / 100,
            };
          }),
          statements,
        }),
      );
      writeFileSync(`${out}.done`, '');
      started = null;
    })();
  });
}
