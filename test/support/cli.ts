import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import { freshStoreUrl } from './stores.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Run `switchyard …` as a user would, in a child process; bounded by `timeoutMs`. */
export function runCli(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // --no-node-snapshot: isolated-vm (the function sandbox) needs it on Node 20+, as in package.json's scripts.
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ChildServer {
  child: ChildProcess;
  base: string;
}

const children: ChildProcess[] = [];

/** `switchyard serve` in a child process on 127.0.0.1 and a free port; resolves once it listens. */
export function startChildServer(
  dbUrl: string,
  configPath: string,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<ChildServer> {
  const args = [
    '--no-node-snapshot',
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--config',
    configPath,
    '--db',
    dbUrl,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /switchyard listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ child, base: m[1] as string });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/** Stop a child server the way an operator would (SIGTERM) and wait for it to exit. */
export async function stopChildServer(s: ChildServer): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

export function killChildServers(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}

export interface ChildServerHandle {
  server: ChildServer;
  dbUrl: string;
  /** The same database, opened in the test process for assertions. */
  store: SqlStore;
}

/**
 * `switchyard serve` of `configPath` in a child on a fresh SQLite store, started in beforeAll
 * and stopped in afterAll (the CLI test files' shared prelude). Fields are set once beforeAll ran.
 */
export function useChildServer(configPath: string): ChildServerHandle {
  const handle = {} as ChildServerHandle;
  beforeAll(async () => {
    handle.dbUrl = await freshStoreUrl('sqlite');
    handle.server = await startChildServer(handle.dbUrl, configPath);
    handle.store = await openStore(handle.dbUrl);
  });
  afterAll(async () => {
    await stopChildServer(handle.server);
    await handle.store?.close();
    killChildServers();
  });
  return handle;
}
