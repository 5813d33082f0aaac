/**
 * Runs once per `vitest run`, in the main process. Sets SWITCHYARD_SECRET_KEY for every test
 * (workers inherit this process's environment). When STORES (comma-separated, default
 * "sqlite,postgres") names postgres, starts ONE embedded PostgreSQL for the whole run on a free
 * loopback port, from binaries and a data dir under the OS temp dir (pg-server.ts), and hands
 * its admin URL to the tests through `provide`; test files then create a database each (see
 * stores.ts). Teardown stops the server and removes its data dir, and removes this run's SQLite
 * test directories under the repo's .tmp/.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { alive, removeStalePgRuns, startPgServer } from './pg-server.js';
import { SECRET_KEY } from './secrets.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://… of the shared server's `postgres` database; null when STORES has no postgres. */
    pgAdminUrl: string | null;
    /** Prefix for this run's scratch dirs under .tmp/ (`test-<runTag>-…`), removed in teardown. */
    runTag: string;
  }
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TMP = join(REPO, '.tmp');
const PG_USER = 'postgres';
const PG_PASSWORD = 'switchyard-test';

const SERVER_SETTINGS: Record<string, string | number> = {
  listen_addresses: '127.0.0.1',
  // TCP only: no socket file in /tmp shared with other runs.
  unix_socket_directories: '',
  // Scratch data: durability off, so CREATE DATABASE and commits stay cheap.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // Every test file opens pools (up to 10 connections per store) and some spawn servers.
  max_connections: 300,
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.SWITCHYARD_SECRET_KEY = SECRET_KEY;
  const runTag = String(process.pid);
  await mkdir(TMP, { recursive: true });
  await removeStaleDirs();
  await removeStalePgRuns();
  project.provide('runTag', runTag);

  const wanted = (process.env.STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  if (!wanted.includes('postgres')) {
    project.provide('pgAdminUrl', null);
    return () => removeRunDirs(runTag);
  }

  const pg = await startPgServer({
    user: PG_USER,
    password: PG_PASSWORD,
    settings: SERVER_SETTINGS,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
  });
  project.provide('pgAdminUrl', `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${pg.port}/postgres`);

  return async () => {
    await pg.stop();
    await removeRunDirs(runTag);
  };
}

/** `.tmp/test-<pid>-…` (and `.tmp/pg-<pid>` of older runs) left behind by a killed run (that pid is gone). */
async function removeStaleDirs(): Promise<void> {
  for (const name of await readdir(TMP)) {
    const m = /^(?:pg|test)-(\d+)(?:-|$)/.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) {
      await rm(join(TMP, name), { recursive: true, force: true });
    }
  }
}

async function removeRunDirs(runTag: string): Promise<void> {
  for (const name of await readdir(TMP).catch(() => [] as string[])) {
    if (name.startsWith(`test-${runTag}-`)) await rm(join(TMP, name), { recursive: true, force: true });
  }
}
