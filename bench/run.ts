/**
 * `npm run bench`: prints ONE JSON document on stdout (progress goes to stderr).
 *
 *   intake   signed webhooks/s accepted by a real `serve --role web` child (intake + API, no worker)
 *   ceiling  the same load against a bare fastify child doing one SQLite INSERT per request
 *   ratio    intake / ceiling
 *   e2e      a `serve --role all` child fed 500 events/s (open loop); intake → decision latency
 *   decide   pure decide() calls/s in process on a generated 20-route, 200-member policy
 *   simulate 10,000 recorded decisions (that policy) simulated with a changed policy, in process (bench/simulate.ts)
 *   sandbox  a warm `score` function over 20 candidates in the function sandbox, in process (bench/sandbox.ts)
 *
 * Everything runs on 127.0.0.1; children are always killed and the temp dir (.tmp/bench-*)
 * removed. Diagnostics: BENCH_CPU_PROF=<dir> starts the Switchyard children with --cpu-prof (profiles
 * land in <dir>); BENCH_ONLY=intake,ceiling,e2e,decide,simulate,sandbox runs only those parts (ratio needs both).
 * Nothing here asserts a speed: it only reports.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchTarget, writeBenchConfig } from './bench-config.js';
import { runDecideBench } from './decide-bench.js';
import { runE2e } from './e2e.js';
import { CONNECTIONS, IN_FLIGHT } from './load.js';
import { machineInfo } from './machine.js';
import { type Child, ChildStartError, freePort, HOST, killAllChildrenSync, startChild } from './proc.js';
import { runSandboxBench } from './sandbox.js';
import { runSimulateBench } from './simulate.js';
import { measureThroughput, round, TIMED_MS, WARMUP_MS } from './throughput.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

let tmpDir: string | null = null;
function cleanup(): void {
  killAllChildrenSync();
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = null;
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    cleanup();
    process.exit(130);
  });
}

function serveArgs(role: 'web' | 'all', target: BenchTarget, dbPath: string, port: number): string[] {
  const profDir = process.env.BENCH_CPU_PROF;
  return [
    // isolated-vm (the function sandbox) requires it on Node 20+: docs/functions-sandbox.md.
    '--no-node-snapshot',
    ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profDir)] : []),
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--role',
    role,
    '--config',
    target.configPath,
    '--db',
    `sqlite:${dbPath}`,
    '--port',
    String(port),
    '--host',
    HOST,
  ];
}

/** Start a child, run `fn` against it, and stop it whatever happens. */
async function withChild<T>(name: string, args: string[], port: number, fn: (c: Child) => Promise<T>): Promise<T> {
  log(`starting ${name}: node ${args.join(' ')}`);
  const child = await startChild(name, args, { cwd: repo, port });
  try {
    return await fn(child);
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  tmpDir = mkdtempSync(join(repo, '.tmp', 'bench-'));
  const dir = tmpDir;
  const machine = machineInfo(dir);
  const target = writeBenchConfig(repo, dir);
  const load = {
    client: 'undici Pool in the bench process (same machine), keep-alive',
    connections: CONNECTIONS,
    inFlight: IN_FLIGHT,
    warmupMs: WARMUP_MS,
    durationMs: TIMED_MS,
    request: 'distinct generic event per request (unique webhook-id and data.key), pre-signed (Standard Webhooks)',
  };

  const only = new Set(
    (process.env.BENCH_ONLY ?? 'intake,ceiling,e2e,decide,simulate,sandbox').split(',').map((x) => x.trim()),
  );
  const part = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> =>
    only.has(name) ? fn() : undefined;

  // decide() first, while no child competes for the CPU and the bench heap is still small.
  const decide = await part('decide', async () => runDecideBench(log));
  const simulate = await part('simulate', async () => runSimulateBench(dir, log));
  const sandbox = await part('sandbox', async () => runSandboxBench(log));

  const intake = await part('intake', async () => {
    const db = join(dir, 'intake.db');
    const port = await freePort();
    return withChild('intake (serve --role web)', serveArgs('web', target, db, port), port, (c) =>
      measureThroughput(c, { ...target, prefix: 'in' }, log),
    );
  });

  const ceiling = await part('ceiling', async () => {
    const db = join(dir, 'ceiling.db');
    const port = await freePort();
    const args = ['--import', 'tsx', 'bench/bare-insert-server.ts', '--db', db, '--port', String(port), '--host', HOST];
    return withChild('ceiling (bare insert)', args, port, (c) =>
      measureThroughput(c, { ...target, prefix: 'ce' }, log),
    );
  });

  const e2e = await part('e2e', async () => {
    const db = join(dir, 'e2e.db');
    const port = await freePort();
    return withChild('e2e (serve --role all)', serveArgs('all', target, db, port), port, (c) =>
      runE2e(c, db, target, log),
    );
  });

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    intake: intake && {
      what:
        'signed webhooks accepted (202) per second over HTTP by a real Switchyard child process started with ' +
        '`serve --role web` (intake + API, no pipeline worker): this measures intake alone — signature check, ' +
        'JSON parse, dedupe key, group-committed durable insert — not routing',
      server:
        'node --import tsx src/cli/main.ts serve --role web --db sqlite:<fresh file> (SQLite, WAL, synchronous=FULL)',
      load,
      ...intake,
    },
    ceiling: ceiling && {
      what:
        'the same load against a bare fastify child (bench/bare-insert-server.ts): one autocommitted better-sqlite3 ' +
        'INSERT into `events` per request, identical PRAGMAs and schema (project migrations), no signature check, ' +
        'no batching, 202 after the insert',
      load,
      ...ceiling,
    },
    ratio: intake && ceiling && ceiling.perSecond > 0 ? round(intake.perSecond / ceiling.perSecond, 3) : null,
    e2e: e2e && {
      what:
        'a `serve --role all` child (fresh SQLite db, demo config with member capacities raised to 1,000,000) fed a ' +
        'fixed 500 events/s for 10 s (open loop, one distinct task per event, each routing to an assignment)',
      ...e2e,
    },
    decide: decide && {
      what: 'pure decide() calls per second in the bench process (includes building the explanation)',
      ...decide,
    },
    simulate: simulate && {
      what:
        'simulateRecorded() over 10,000 decisions recorded into a fresh SQLite file (the decide bench policy, evolving ' +
        'loads and turns, compact snapshots), with a changed policy: keyset pages, JSON parsing, decide, comparison, ' +
        'report; rosterChanged also recomputes the schedule state for a changed roster',
      ...simulate,
    },
    sandbox: sandbox && {
      what:
        'a warm `score` function (20 candidates) run through the function sandbox (isolated-vm) in the bench ' +
        'process: input to JSON, into the isolate, run, answer back as JSON; plus the first call of a new version ' +
        '(new isolate, prelude, compile) and the resident memory each warm isolate adds',
      ...sandbox,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

try {
  await main();
} catch (e) {
  if (e instanceof ChildStartError) {
    log(e.message);
    process.stderr.write(`--- child output (tail) ---\n${e.output}\n---\n`);
  } else {
    log(`failed: ${(e as Error).stack ?? e}`);
  }
  process.exitCode = 1;
} finally {
  cleanup();
}
