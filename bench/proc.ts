/**
 * Child processes for the bench: spawn on 127.0.0.1, wait for /readyz (≤ 30 s), keep a bounded
 * tail of their output for error reports, and always kill them (also when the bench fails).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const TAIL_BYTES = 16 * 1024;

export interface Child {
  name: string;
  proc: ChildProcess;
  baseUrl: string;
  /** The last output lines, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Last-resort cleanup: whatever happens to the bench, its children die with it. */
export function killAllChildrenSync(): void {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  running.clear();
}

/** `p`, or `false` after `ms`; the timer is cleared either way so it never holds the process open. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Spawn `node <args>` in `cwd`, then poll GET /readyz until it answers 200. */
export async function startChild(
  name: string,
  args: string[],
  opts: { cwd: string; port: number; env?: NodeJS.ProcessEnv },
): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const baseUrl = `http://${HOST}:${opts.port}`;
  const child: Child = {
    name,
    proc,
    baseUrl,
    output: () => tail,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        if ((await within(exited, 10_000)) === false) {
          proc.kill('SIGKILL');
          await within(exited, 5_000);
        }
      }
      running.delete(proc);
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    try {
      const res = await request(`${baseUrl}/readyz`, { method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      if (res.statusCode === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const why =
    proc.exitCode !== null || proc.signalCode !== null
      ? `exited (${proc.exitCode ?? proc.signalCode})`
      : `not ready within ${READY_TIMEOUT_MS} ms`;
  await child.stop();
  throw new ChildStartError(`${name} ${why}`, tail);
}

export class ChildStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}
