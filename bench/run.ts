/**
 * `npm run bench`: prints ONE JSON document on stdout (progress goes to stderr).
 *
 *   intake   signed webhooks/s accepted by a real `serve --role web` child (intake + API, no worker): intake alone
 *   ceiling  the same load against a bare fastify child doing one SQLite INSERT per request
 *   ratio    intake / ceiling
 *   e2e      a `serve --role all` child fed 500 events/s (open loop); intake → decision latency
 *   decide   pure decide() calls/s in process on a generated 20-route, 200-member policy
 *   simulate 10,000 recorded decisions (that policy) simulated with a changed policy, in process (bench/simulate.ts)
 *   sandbox  a warm `score` function over 20 candidates in the function sandbox, in process (bench/sandbox.ts)
 *   saturation  the default `serve` (role all) at saturation on SQLite and on an embedded PostgreSQL:
 *            accepted/s, routed/s, then POST → decision at 80 % of that rate (bench/saturation.ts)
 *
 * Everything runs on 127.0.0.1; children are always killed and the temp dir (.tmp/bench-*)
 * removed. Diagnostics: BENCH_CPU_PROF=<dir> starts the Switchyard children with --cpu-prof (profiles
 * land in <dir>); the saturation children instead profile just their saturation phase
 * (<dir>/saturation-<store>.cpuprofile, bench/child-probe.ts); BENCH_PROBE=1 makes them count
 * their SQL statements over that phase (the counts go into the report). BENCH_ONLY=intake,ceiling,e2e,decide,simulate,sandbox,
 * saturation (or saturation-sqlite, saturation-postgres) runs only those parts (ratio needs both);
 * BENCH_SATURATION_EVENTS=N sets the saturation phase's event count (default 20,000).
 * Nothing here asserts a speed: it only reports.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPgServer } from '../test/support/pg-server.js';
import { type BenchTarget, writeBenchConfig } from './bench-config.js';
import { runDecideBench } from './decide-bench.js';
import { runE2e } from './e2e.js';
import { CONNECTIONS, IN_FLIGHT } from './load.js';
import { machineInfo } from './machine.js';
import { type Child, ChildStartError, freePort, HOST, killAllChildrenSync, startChild } from './proc.js';
import { runSandboxBench } from './sandbox.js';
import { runSaturation, SATURATION_EVENTS } from './saturation.js';
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

/**
 * `probe`: the child preloads bench/child-probe.ts (statement counts and CPU over a window the
 * bench marks) instead of profiling its whole life with --cpu-prof.
 */
function serveArgs(role: 'web' | 'all', target: BenchTarget, db: string, port: number, probe = false): string[] {
  const profDir = process.env.BENCH_CPU_PROF;
  return [
    // isolated-vm (the function sandbox) requires it on Node 20+: docs/functions-sandbox.md.
    '--no-node-snapshot',
    ...(profDir && !probe ? ['--cpu-prof', '--cpu-prof-dir', resolve(profDir)] : []),
    '--import',
    'tsx',
    ...(probe ? ['--import', './bench/child-probe.ts'] : []),
    'src/cli/main.ts',
    'serve',
    '--role',
    role,
    '--config',
    target.configPath,
    '--db',
    db.startsWith('sqlite:') || db.includes('://') ? db : `sqlite:${db}`,
    '--port',
    String(port),
    '--host',
    HOST,
  ];
}

/** Start a child, run `fn` against it, and stop it whatever happens. */
async function withChild<T>(
  name: string,
  args: string[],
  port: number,
  fn: (c: Child) => Promise<T>,
  env?: NodeJS.ProcessEnv,
): Promise<T> {
  log(`starting ${name}: node ${args.join(' ')}`);
  const child = await startChild(name, args, { cwd: repo, port, ...(env ? { env } : {}) });
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
    (process.env.BENCH_ONLY ?? 'intake,ceiling,e2e,decide,simulate,sandbox,saturation')
      .split(',')
      .map((x) => x.trim())
      .flatMap((x) => (x === 'saturation' ? ['saturation-sqlite', 'saturation-postgres'] : [x])),
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

  const saturationOn = async (store: 'sqlite' | 'postgres', dbUrl: string) => {
    const port = await freePort();
    const profDir = process.env.BENCH_CPU_PROF;
    const probe = Boolean(profDir) || process.env.BENCH_PROBE === '1';
    if (profDir) mkdirSync(resolve(profDir), { recursive: true });
    const probeOut = probe ? join(profDir ? resolve(profDir) : dir, `saturation-${store}`) : undefined;
    const env = probeOut
      ? {
          BENCH_PROBE_OUT: probeOut,
          BENCH_PROBE_CPU_PROF: profDir ? '1' : '0',
          BENCH_PROBE_SQL: process.env.BENCH_PROBE === '1' ? '1' : '0',
        }
      : undefined;
    return withChild(
      `saturation (serve --role all, ${store})`,
      serveArgs('all', target, dbUrl, port, probe),
      port,
      (c) => runSaturation(c, dbUrl, store, target, log, probeOut),
      env,
    );
  };
  const saturationSqlite = await part('saturation-sqlite', async () =>
    saturationOn('sqlite', `sqlite:${join(dir, 'saturation.db')}`),
  );
  const saturationPostgres = await part('saturation-postgres', async () => {
    log('starting an embedded PostgreSQL (fsync and synchronous_commit on)');
    const server = await startPgServer({
      user: 'postgres',
      password: 'switchyard-bench',
      settings: { listen_addresses: HOST, unix_socket_directories: '', max_connections: 50 },
      initdbFlags: ['--encoding=UTF8'],
    });
    try {
      const admin = `postgres://postgres:switchyard-bench@${HOST}:${server.port}/postgres`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query('CREATE DATABASE switchyard_bench');
      await client.end();
      return await saturationOn('postgres', admin.replace(/\/postgres$/, '/switchyard_bench'));
    } finally {
      await server.stop();
    }
  });

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    intake: intake && {
      what:
        'INTAKE ALONE: signed webhooks accepted (202) per second over HTTP by a real Switchyard child process ' +
        'started with `serve --role web` (intake + API, no pipeline worker) — signature check, JSON parse, dedupe ' +
        'key, group-committed durable insert — not routing; what the default role does is under `saturation`',
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
  const saturationWhat =
    'the default `serve` (role all: intake and API on the main thread, pipeline and outbox workers in their thread, one process), fresh store, demo ' +
    `config with capacities raised: after 1,000 warm-up events, ${SATURATION_EVENTS} distinct signed events (each ` +
    'a new task that gets assigned) sent as fast as 64 keep-alive connections allow (64 in flight). ' +
    'acceptedPerSecond = 202s / (first POST → last 202); routedPerSecond = decisions / (first POST → last ' +
    'decision timestamp); then atRate: an open loop at 80 % of routedPerSecond for 10 s, POST (bench clock) → ' +
    "decision timestamp (decisions.created_at: the event's one `now`, taken when its preparation starts, committed with the decision), and " +
    "the server's own intake → committed histogram over that phase";
  const fullReport = {
    ...report,
    saturation: (saturationSqlite || saturationPostgres) && {
      what: saturationWhat,
      sqlite: saturationSqlite,
      postgres: saturationPostgres && {
        server: 'embedded PostgreSQL 17 (test/support/pg-server.ts), fsync on, synchronous_commit on, same machine',
        ...saturationPostgres,
      },
      intakeAloneSameRun: intake ? intake.perSecond : null,
      acceptedVsIntakeAlone:
        intake && saturationSqlite && intake.perSecond > 0
          ? round(saturationSqlite.saturation.acceptedPerSecond / intake.perSecond, 3)
          : null,
    },
  };
  process.stdout.write(`${JSON.stringify(fullReport, null, 2)}\n`);
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
