/**
 * Fresh, migrated stores on real databases for tests. SQLite: a new file under .tmp/.
 * PostgreSQL: a new database on the one server global-setup.ts started. The URLs are plain
 * connection strings, so a child process (e.g. a spawned server) can open them too.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, inject } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';

export type StoreKind = 'sqlite' | 'postgres';

const KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];
const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** From env STORES (comma-separated), default both. Unknown names fail loudly rather than skip tests. */
export const STORES: StoreKind[] = (process.env.STORES ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => {
    if (!(KINDS as readonly string[]).includes(s))
      throw new Error(`STORES: unknown store "${s}" (use sqlite,postgres)`);
    return s as StoreKind;
  });

function randomName(): string {
  return randomBytes(6).toString('hex');
}

/** A URL naming an empty database nobody else uses (not yet migrated). */
export async function freshStoreUrl(kind: StoreKind): Promise<string> {
  if (kind === 'sqlite') {
    const dir = join(REPO, '.tmp', `test-${inject('runTag')}-${randomName()}`);
    await mkdir(dir, { recursive: true });
    return `sqlite:${join(dir, 'switchyard.db')}`;
  }
  const admin = inject('pgAdminUrl');
  if (!admin) throw new Error('no PostgreSQL for this run: STORES must include postgres when vitest starts');
  const name = `sy_${randomName()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function openFreshStore(kind: StoreKind): Promise<SqlStore> {
  return openStore(await freshStoreUrl(kind));
}

/** In a describe block: `fresh()` opens a new store for the current test; all are closed after each test. */
export function useFreshStores(kind: StoreKind): () => Promise<SqlStore> {
  const opened: SqlStore[] = [];
  const closeAll = () => Promise.all(opened.splice(0).map((s) => s.close()));
  afterEach(closeAll);
  afterAll(closeAll);
  return async () => {
    const s = await openFreshStore(kind);
    opened.push(s);
    return s;
  };
}
