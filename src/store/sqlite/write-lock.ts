/**
 * One writer at a time among the threads of this process that open the same SQLite file
 * (serve's main thread and its pipeline thread, src/cli/pipeline-thread-host.ts). SQLite
 * already serialises writers, but a writer that finds the file locked sleeps in its busy
 * handler in steps of 1, 2, 5, 10, 15, 20, 25… ms, so a 202 waited up to ~20 ms behind a
 * pipeline batch holding the lock for 8. Here the waiting thread sleeps on an Atomics word
 * and is woken the moment the holder commits.
 *
 * Only a scheduling aid: SQLite's own locking still guarantees correctness (other processes
 * are not covered, and a waiter gives up after `maxWaitMs` and goes on to SQLite's busy
 * handler). Transactions take it at BEGIN and give it back at COMMIT/ROLLBACK; a write
 * outside a transaction (an autocommitted claim) takes it around the statement.
 */
import type Sqlite from 'better-sqlite3';
import type { SqliteStatement } from 'kysely';

export class WriteLock {
  private readonly word: Int32Array;
  private held = false;

  constructor(
    /** Shared by the threads that write the same file (4 bytes); a fresh one is private to this connection. */
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4),
    private readonly maxWaitMs = 5_000,
  ) {
    this.word = new Int32Array(buffer, 0, 1);
  }

  get holding(): boolean {
    return this.held;
  }

  acquire(): void {
    if (this.held) return;
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      if (Atomics.compareExchange(this.word, 0, 0, 1) === 0) {
        this.held = true;
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) return; // SQLite's busy handler takes over
      Atomics.wait(this.word, 0, 1, Math.min(left, 50));
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    Atomics.store(this.word, 0, 0);
    Atomics.notify(this.word, 0, 1);
  }
}

/** The statement as Kysely uses it, with the lock taken where it writes (see WriteLock). Built once per prepared statement. */
export function lockedStatement(statement: Sqlite.Statement, sql: string, lock: WriteLock): SqliteStatement {
  const text = sql.trim().toLowerCase();
  const kind =
    text === 'begin immediate' || text === 'begin'
      ? 'begin'
      : text === 'commit' || text === 'rollback'
        ? 'end'
        : statement.readonly
          ? null
          : 'write';
  // As Kysely's driver calls them: the parameters array binds positionally.
  const all = (p: ReadonlyArray<unknown>) => statement.all(p);
  const run = (p: ReadonlyArray<unknown>) => statement.run(p);
  const iterate = (p: ReadonlyArray<unknown>) => statement.iterate(p);
  if (kind === null) return { reader: statement.reader, all, run, iterate };
  const locked =
    <R>(call: (p: ReadonlyArray<unknown>) => R) =>
    (p: ReadonlyArray<unknown>): R => {
      if (kind === 'end') {
        try {
          return call(p);
        } finally {
          lock.release();
        }
      }
      // Inside a transaction the lock is ours already.
      if (lock.holding) return call(p);
      lock.acquire();
      let ok = false;
      try {
        const result = call(p);
        ok = true;
        return result;
      } finally {
        if (kind === 'write' || !ok) lock.release();
      }
    };
  return { reader: statement.reader, all: locked(all), run: locked(run), iterate: locked(iterate) };
}
