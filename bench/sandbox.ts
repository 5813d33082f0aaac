/**
 * The function sandbox, in process: what a `score` function over 20 candidates costs a decision
 * once its isolate is warm (one call = input to JSON, into the isolate, run, answer back as JSON,
 * parsed), what the first call of a version costs (new isolate, prelude, compile), and what a
 * warm isolate costs in memory. Target: ≤ 200 µs median per warm call on the 2-core machine.
 *
 *   node --no-node-snapshot --import tsx bench/sandbox.ts     prints this part alone
 *   BENCH_ONLY=sandbox npm run -s bench                        the same inside the bench report
 */
import { fileURLToPath } from 'node:url';
import { compilePolicy, decide, type Member, type Roster, type Snapshot } from '../src/core/index.js';
import { decideWithFunctions } from '../src/functions/decide-with-functions.js';
import { createSandbox, type Sandbox } from '../src/functions/sandbox/index.js';
import type { FunctionInput, FunctionVersion } from '../src/functions/types.js';
import { round } from './throughput.js';

const WARMUP_MS = 500;
const RUN_MS = 2_000;
const MAX_CALLS = 200_000;
const COLD_STARTS = 20;
const WARM_ISOLATES = 50;

const SCORE = `export default function (input) {
  const scores = {};
  for (const c of input.candidates) {
    let s = 0;
    for (const label of input.task.labels) s += 3 * (c.skills[label] ?? 0);
    if (c.timezone === 'Europe/Berlin') s += 1;
    scores[c.id] = s - c.load;
  }
  return { scores };
}`;

function version(i: number, code = SCORE): FunctionVersion {
  return {
    tenantId: 'bench',
    name: `score-${i}`,
    version: 1,
    kind: 'score',
    runtime: 'javascript',
    source: code,
    code,
    fields: { task: ['labels'], member: ['skills', 'load', 'timezone'] },
    limits: { timeoutMs: 50, memoryMb: 32 },
    contentHash: `sha256:bench-${i}`,
    author: 'bench',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

const input: FunctionInput = {
  now: '2026-11-26T12:00:00Z',
  task: { labels: ['payments', 'kafka'] },
  candidates: Array.from({ length: 20 }, (_, i) => ({
    id: `m${String(i).padStart(3, '0')}`,
    // Skill → level, as members declare them.
    skills: Object.fromEntries(
      ['payments', 'kafka', 'postgres', 'k8s'].slice(0, 1 + (i % 4)).map((k) => [k, 1 + (i % 5)]),
    ),
    load: i % 7,
    timezone: i % 2 ? 'Europe/Berlin' : 'America/New_York',
  })),
};

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export interface SandboxBenchResult {
  warmScore: {
    candidates: number;
    calls: number;
    medianUs: number;
    p99Us: number;
    callsPerSecond: number;
    durationMsMedianUs: number;
  };
  coldStart: { versions: number; medianMs: number; p99Ms: number };
  rssPerWarmIsolateMb: number;
  /** A whole decision (least_loaded over 20 members) with the score function vs without it. */
  perDecision: { withScoreMedianUs: number; withoutMedianUs: number; overheadMedianUs: number };
}

/**
 * The decision path's own cost of a score function: decideStep twice, the allow-list, input
 * hashing, the sandbox call and answer validation, measured as a difference of medians.
 */
async function decisionOverhead(sandbox: Sandbox, fn: FunctionVersion) {
  const members: Member[] = (input.candidates ?? []).map((c) => ({
    id: String(c.id),
    name: String(c.id),
    capacity: 10,
    capacityByType: {},
    skills: c.skills as Record<string, number>,
    timezone: String(c.timezone),
    leave: [],
    handles: {},
  }));
  const roster: Roster = { members: new Map(members.map((m) => [m.id, m])), teams: new Map() };
  const route = { name: 'r', strategy: 'least_loaded' as const, members: members.map((m) => m.id) };
  const plain = compilePolicy({ version: 'pv_bench', fallbackQueue: 'q', routes: [route] }, roster);
  const scored = compilePolicy(
    { version: 'pv_bench', fallbackQueue: 'q', routes: [{ ...route, score: { name: fn.name, version: 1 } }] },
    roster,
  );
  const snapshot: Snapshot = { load: Object.fromEntries(members.map((m, i) => [m.id, i % 7])), away: {} };
  const task = { externalId: 'B-1', title: 'bench', labels: ['payments', 'kafka'] };
  const host = { lookup: async () => fn, run: (f: FunctionVersion, i: FunctionInput) => sandbox.run(f, i) };
  const now = new Date(input.now);
  const time = async (n: number, once: () => Promise<unknown>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await once();
      out.push((performance.now() - t) * 1000);
    }
    return quantile(
      out.sort((a, b) => a - b),
      0.5,
    );
  };
  const withScore = await time(5_000, async () => {
    const r = await decideWithFunctions(task, snapshot, scored, now, { tenantId: 'bench', host });
    if (r.calls[0]?.outcome !== 'ok') throw new Error(`bench score failed: ${r.calls[0]?.error}`);
  });
  const without = await time(5_000, async () => decide(task, snapshot, plain, now));
  return {
    withScoreMedianUs: round(withScore),
    withoutMedianUs: round(without),
    overheadMedianUs: round(withScore - without),
  };
}

export async function runSandboxBench(log: (msg: string) => void): Promise<SandboxBenchResult> {
  const sandbox = createSandbox({ maxWarm: WARM_ISOLATES + COLD_STARTS + 1 });
  try {
    const fn = version(0);
    const first = await sandbox.run(fn, input);
    if (first.outcome !== 'ok') throw new Error(`bench function failed: ${first.error}`);

    const loop = async (ms: number, record: number[] | null, durations: number[] | null) => {
      const start = performance.now();
      let calls = 0;
      while (calls < MAX_CALLS && performance.now() - start < ms) {
        const t = performance.now();
        const run = await sandbox.run(fn, input);
        const us = (performance.now() - t) * 1000;
        if (run.outcome !== 'ok') throw new Error(`bench function failed: ${run.error}`);
        record?.push(us);
        durations?.push(run.durationMs * 1000);
        calls++;
      }
      return { calls, seconds: (performance.now() - start) / 1000 };
    };
    log(`sandbox: warm-up ${WARMUP_MS} ms`);
    await loop(WARMUP_MS, null, null);
    log(`sandbox: warm score calls, ${RUN_MS} ms`);
    const latencies: number[] = [];
    const durations: number[] = [];
    const { calls, seconds } = await loop(RUN_MS, latencies, durations);
    latencies.sort((a, b) => a - b);
    durations.sort((a, b) => a - b);

    log(`sandbox: ${COLD_STARTS} cold starts`);
    const colds: number[] = [];
    for (let i = 1; i <= COLD_STARTS; i++) {
      const t = performance.now();
      const run = await sandbox.run(version(i), input);
      colds.push(performance.now() - t);
      if (run.outcome !== 'ok') throw new Error(`bench function failed: ${run.error}`);
    }
    colds.sort((a, b) => a - b);

    log(`sandbox: memory of ${WARM_ISOLATES} warm isolates`);
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < WARM_ISOLATES; i++) await sandbox.run(version(1_000 + i), input);
    const rssPerWarmIsolateMb = (process.memoryUsage().rss - rssBefore) / WARM_ISOLATES / 2 ** 20;

    log('sandbox: a whole decision with and without the score function');
    const perDecision = await decisionOverhead(sandbox, { ...fn, name: 'score-0' });

    return {
      perDecision,
      warmScore: {
        candidates: input.candidates?.length ?? 0,
        calls,
        medianUs: round(quantile(latencies, 0.5)),
        p99Us: round(quantile(latencies, 0.99)),
        callsPerSecond: round(calls / seconds),
        durationMsMedianUs: round(quantile(durations, 0.5)),
      },
      coldStart: {
        versions: COLD_STARTS,
        medianMs: round(quantile(colds, 0.5), 2),
        p99Ms: round(quantile(colds, 0.99), 2),
      },
      rssPerWarmIsolateMb: round(rssPerWarmIsolateMb, 2),
    };
  } finally {
    await sandbox.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runSandboxBench((msg) => process.stderr.write(`[bench] ${msg}\n`));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
