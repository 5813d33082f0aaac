/**
 * Several processes opening one fresh database at once (two CLI commands, a server and a CLI)
 * all migrate it: on SQLite they take turns under the write lock, on PostgreSQL under Kysely's
 * advisory lock. Before the lock, 1 in 4 such pairs failed with `table "events" already exists`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { REPO } from './support/cli.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const CHILDREN = 4;
const ROUNDS = 3;

interface Child {
  process: ChildProcess;
  output: string;
}

function startChild(url: string): Promise<Child> {
  const child: Child = {
    process: spawn(process.execPath, ['--import', 'tsx', 'test/support/migrate-child.ts', url], { cwd: REPO }),
    output: '',
  };
  return new Promise((resolve, reject) => {
    child.process.stderr?.on('data', (d) => {
      child.output += d;
    });
    child.process.stdout?.on('data', (d) => {
      child.output += d;
      if (child.output.includes('ready\n')) resolve(child);
    });
    child.process.once('exit', (code) =>
      reject(new Error(`child exited (${code}) before it was ready:\n${child.output}`)),
    );
  });
}

function finish(child: Child): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    child.process.removeAllListeners('exit');
    child.process.once('exit', (code) => resolve({ code, output: child.output.replace('ready\n', '') }));
    child.process.stdin?.write('go\n');
  });
}

for (const kind of STORES) {
  describe(`concurrent migrations (${kind})`, () => {
    it(`${CHILDREN} processes migrating one fresh database at once all succeed, ${ROUNDS} times`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const url = await freshStoreUrl(kind);
        const children = await Promise.all(Array.from({ length: CHILDREN }, () => startChild(url)));
        const results = await Promise.all(children.map(finish));
        expect(results).toEqual(Array.from({ length: CHILDREN }, () => ({ code: 0, output: 'ok\n' })));

        const store = await openStore(url, { migrate: false });
        try {
          const ran = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
          const names = ran.rows.map((r) => r.name);
          expect(names[0]).toBe('0001-initial');
          expect(new Set(names).size).toBe(names.length);
          // Migrated to the latest: migrating again has nothing to do and the schema is usable.
          await store.migrate();
          expect((await sql`select name from kysely_migration`.execute(store.db)).rows).toHaveLength(names.length);
          expect(await store.auditTenants()).toEqual([]);
        } finally {
          await store.close();
        }
      }
    }, 120_000);
  });
}
