/**
 * The write lock serve's two threads share on SQLite (src/store/sqlite/write-lock.ts): a
 * transaction holds it from BEGIN to COMMIT or ROLLBACK (also when they fail), an autocommitted
 * write holds it for the statement, reads never take it, and a waiter that cannot get it in
 * time goes on without it (SQLite's own locking still applies).
 */
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { lockedStatement, WriteLock } from '../src/store/sqlite/write-lock.js';

const open: Sqlite.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function setup() {
  const db = new Sqlite(':memory:');
  open.push(db);
  db.exec('create table t (x integer primary key)');
  const shared = new SharedArrayBuffer(4);
  const lock = new WriteLock(shared);
  const other = new WriteLock(shared, 0);
  const st = (sql: string) => lockedStatement(db.prepare(sql), sql, lock);
  /** Whether another holder of the same buffer could take the lock now (it gives it back at once). */
  const free = () => {
    other.acquire();
    const got = other.holding;
    other.release();
    return got;
  };
  return { st, lock, free };
}

describe('the SQLite write lock', () => {
  it('is held from BEGIN to COMMIT, and given back after ROLLBACK', () => {
    const { st, lock, free } = setup();
    st('begin immediate').run([]);
    expect(lock.holding).toBe(true);
    expect(free()).toBe(false);
    st('insert into t (x) values (?)').run([1]);
    expect(lock.holding).toBe(true);
    st('commit').run([]);
    expect(lock.holding).toBe(false);
    expect(free()).toBe(true);
    st('begin immediate').run([]);
    st('rollback').run([]);
    expect(free()).toBe(true);
  });

  it('is held only for an autocommitted write, never for a read, and given back when the write fails', () => {
    const { st, lock, free } = setup();
    st('insert into t (x) values (?)').run([1]);
    expect(lock.holding).toBe(false);
    expect(st('select x from t').all([])).toEqual([{ x: 1 }]);
    expect(() => st('insert into t (x) values (?)').run([1])).toThrow(/UNIQUE/);
    expect(lock.holding).toBe(false);
    expect(free()).toBe(true);
  });

  it('a waiter that cannot get it within its limit goes on without it', () => {
    const shared = new SharedArrayBuffer(4);
    const holder = new WriteLock(shared);
    const waiter = new WriteLock(shared, 20);
    holder.acquire();
    waiter.acquire();
    expect(waiter.holding).toBe(false);
    holder.release();
    waiter.acquire();
    expect(waiter.holding).toBe(true);
  });
});
