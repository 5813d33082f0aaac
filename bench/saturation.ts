/**
 * What a user of the default `serve` (role all) sees at saturation, on one store:
 *
 * 1. warm-up: 1,000 events sent and routed, not counted;
 * 2. saturation: N distinct signed events (BENCH_SATURATION_EVENTS, default 20,000), each a new
 *    task that gets assigned, sent as fast as 64 keep-alive connections allow (closed loop, 64
 *    in flight). accepted/s = 202s over the POST window (first POST → last 202); routed/s =
 *    decisions over first POST → the last decision committed (the store polled every 20 ms
 *    until no event is open); also how far the pipeline kept up while intake ran;
 * 3. fixed rate: 80 % of the measured routed/s for 10 s (open loop, a send slot every
 *    1/rate s whatever the answers): POST → decision committed, as the bench sees it by
 *    polling the store every 5 ms (CommitWatcher), p50/p99; beside it POST → the decision's own
 *    timestamp (decisions.created_at: the event's one `now`, taken when its preparation starts) and the server's own histogram
 *    (intake → committed, /metrics). The bench and the child share the machine's clock.
 *
 * Every phase is bounded in count and time; everything runs on 127.0.0.1. With a probe
 * (bench/child-probe.ts) the child is signalled (SIGUSR2) at the first POST of phase 2 and
 * when it has routed everything, and its measurements of that window join the result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { request } from 'undici';
import { openStore } from '../src/store/open-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { type Percentiles, percentiles } from './e2e.js';
import { CONNECTIONS, IN_FLIGHT, keepAlivePool } from './load.js';
import type { Child } from './proc.js';
import { headersOf, type SignedRequest, signedRequests } from './signed-events.js';
import { round } from './throughput.js';

export const SATURATION_EVENTS = Number(process.env.BENCH_SATURATION_EVENTS ?? 20_000);
const WARMUP_EVENTS = 1_000;
const RATE_SHARE = 0.8;
const RATE_SECONDS = 10;
const SEND_BOUND_MS = 180_000;
const SETTLE_BOUND_MS = 180_000;
const PROBE_BOUND_MS = 30_000;

export interface SaturationResult {
  store: string;
  loadAverage: { before: number[]; after: number[] };
  warmup: { sent: number; accepted: number; seconds: number };
  saturation: {
    events: number;
    statuses: Record<string, number>;
    errors: number;
    firstError?: string;
    postWindowSeconds: number;
    acceptedPerSecond: number;
    decided: number;
    /** False when the pipeline had not routed everything within the bound (routed/s is then 0). */
    settled: boolean;
    routedSeconds: number;
    routedPerSecond: number;
    /** Decisions timestamped before the last 202: the pipeline's rate while intake ran beside it. */
    decidedDuringPosts: number;
    pipelinePerSecondDuringPosts: number;
    /** Events still open when the last 202 was sent: the backlog intake left the pipeline. */
    backlogAtLastAccept: number;
    /** Last 202 → every decision committed (observed). */
    lastDecisionAfterLastAcceptSeconds: number;
    /** First POST → the last decision's own timestamp (taken before decide(), so before its commit). */
    lastDecisionTimestampSeconds: number;
    clientResponseMs: Percentiles;
    /** The bench process's own CPU over the POST window (the load generator shares the cores). */
    benchCpuSeconds: number;
    /** Busy share of all cores over first POST → settled (/proc/stat), the server, PostgreSQL and the bench together. */
    machineBusyShare: number | null;
    outcomes: Record<string, number>;
  };
  atRate: {
    targetPerSecond: number;
    sent: number;
    sendSeconds: number;
    statuses: Record<string, number>;
    errors: number;
    decided: number;
    /** POST sent → the decision's commit seen by the bench polling the store every 5 ms: what a user sees. */
    postToCommittedMs: Percentiles;
    /** POST sent → the decision's own timestamp (before decide(); earlier than its commit by the rest of its batch). */
    postToDecisionTimestampMs: Percentiles;
    clientResponseMs: Percentiles;
    /** The server's histogram (intake handler start → decision committed) over this phase. */
    committedLatency: { count: number; within20ms: number; within50ms: number; p50UpTo: string; p99UpTo: string };
  } | null;
  /** BENCH_PROBE: statements and CPU of the child over the saturation phase (first POST → settled). */
  probe?: unknown;
}

export interface SaturationTarget {
  tenant: string;
  integration: string;
  key: Buffer;
}

export async function runSaturation(
  child: Child,
  dbUrl: string,
  storeName: string,
  target: SaturationTarget,
  log: (msg: string) => void,
  probeOut?: string,
): Promise<SaturationResult> {
  const path = `/hooks/${target.tenant}/${target.integration}`;
  const pool = keepAlivePool(child.baseUrl);
  const reader = await openStore(dbUrl, { migrate: false, create: false });
  const loadBefore = loadavg().map((x) => round(x, 2));
  const prefix = `s${storeName[0]}`;
  try {
    // 1. warm-up
    const warmStart = performance.now();
    const warm = await closedLoopTimed(pool, path, signedRequests(target.key, `${prefix}w`, WARMUP_EVENTS));
    const warmPosted = performance.now();
    await waitSettled(reader, SETTLE_BOUND_MS);
    const warmSeconds = round((performance.now() - warmStart) / 1000, 2);
    log(
      `saturation ${storeName}: warm-up ${warm.accepted} accepted in ${round(warm.windowMs / 1000, 2)} s, ` +
        `routed ${round((performance.now() - warmPosted) / 1000, 2)} s after the last 202`,
    );

    // 2. saturation
    const n = SATURATION_EVENTS;
    const satPrefix = `${prefix}s`;
    const requests = signedRequests(target.key, satPrefix, n);
    log(`saturation ${storeName}: ${n} events, ${IN_FLIGHT} in flight over ${CONNECTIONS} connections`);
    if (probeOut) child.proc.kill('SIGUSR2');
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineTicks();
    const sat = await closedLoopTimed(pool, path, requests);
    const benchCpu = process.cpuUsage(cpuBefore);
    const backlog = await openEvents(reader);
    log(`saturation ${storeName}: ${sat.accepted} accepted in ${round(sat.windowMs / 1000, 2)} s; backlog ${backlog}`);
    const settled = await waitSettled(reader, SETTLE_BOUND_MS);
    const settledAt = Date.now();
    const machineAfter = machineTicks();
    if (probeOut) child.proc.kill('SIGUSR2');
    const decisions = await decisionTimes(reader, satPrefix);
    const decidedAt = decisions.map((d) => d.decidedAt);
    const lastDecision = decidedAt.reduce((m, t) => Math.max(m, t), sat.firstPostAt);
    // The last decision is committed when the poll first sees no open event (every 20 ms).
    const routedSeconds = settled ? (settledAt - sat.firstPostAt) / 1000 : 0;
    const duringPosts = decidedAt.filter((t) => t <= sat.lastAcceptAt).length;
    const routedPerSecond = routedSeconds > 0 ? decisions.length / routedSeconds : 0;
    const probe = probeOut ? await readProbe(probeOut) : undefined;
    const saturation: SaturationResult['saturation'] = {
      events: n,
      statuses: sat.statuses,
      errors: sat.errors,
      ...(sat.firstError ? { firstError: sat.firstError } : {}),
      postWindowSeconds: round(sat.windowMs / 1000, 3),
      acceptedPerSecond: round(sat.accepted / Math.max(sat.windowMs / 1000, 0.001)),
      decided: decisions.length,
      settled,
      routedSeconds: round(routedSeconds, 3),
      routedPerSecond: round(routedPerSecond),
      decidedDuringPosts: duringPosts,
      pipelinePerSecondDuringPosts: round(duringPosts / Math.max(sat.windowMs / 1000, 0.001)),
      backlogAtLastAccept: backlog,
      lastDecisionAfterLastAcceptSeconds: round((settledAt - sat.lastAcceptAt) / 1000, 3),
      lastDecisionTimestampSeconds: round((lastDecision - sat.firstPostAt) / 1000, 3),
      clientResponseMs: percentiles(sat.responseMs),
      benchCpuSeconds: round((benchCpu.user + benchCpu.system) / 1e6, 2),
      machineBusyShare: busyShare(machineBefore, machineAfter),
      outcomes: await outcomes(reader, satPrefix),
    };
    log(
      `saturation ${storeName}: accepted ${saturation.acceptedPerSecond}/s, routed ${saturation.routedPerSecond}/s ` +
        `(last decision ${saturation.lastDecisionAfterLastAcceptSeconds} s after the last 202)`,
    );

    // 3. at 80 % of the routed rate
    const atRate =
      routedPerSecond > 0 ? await fixedRate(pool, child, reader, path, target, prefix, routedPerSecond, log) : null;
    return {
      store: storeName,
      loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x, 2)) },
      warmup: { sent: warm.sent, accepted: warm.accepted, seconds: warmSeconds },
      saturation,
      atRate,
      ...(probe ? { probe } : {}),
    };
  } finally {
    await pool.close();
    await reader.close();
  }
}

interface TimedLoop {
  sent: number;
  accepted: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  firstPostAt: number;
  lastAcceptAt: number;
  windowMs: number;
  responseMs: number[];
}

/** 64 workers, one request in flight each, until the list is sent or the bound passes. */
async function closedLoopTimed(
  pool: ReturnType<typeof keepAlivePool>,
  path: string,
  requests: readonly SignedRequest[],
): Promise<TimedLoop> {
  const statuses = new Map<number, number>();
  const responseMs: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const firstPostAt = Date.now();
  const started = performance.now();
  let lastAccept = started;
  const deadline = started + SEND_BOUND_MS;
  const worker = async () => {
    while (next < requests.length && performance.now() < deadline) {
      const r = requests[next++] as SignedRequest;
      const t = performance.now();
      try {
        const res = await pool.request({ path, method: 'POST', headers: headersOf(r), body: r.body });
        await res.body.dump();
        const now = performance.now();
        responseMs.push(now - t);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 202) lastAccept = now;
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return {
    sent: next,
    accepted: statuses.get(202) ?? 0,
    statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
    errors,
    ...(firstError ? { firstError } : {}),
    firstPostAt,
    lastAcceptAt: firstPostAt + (lastAccept - started),
    windowMs: lastAccept - started,
    responseMs,
  };
}

async function fixedRate(
  pool: ReturnType<typeof keepAlivePool>,
  child: Child,
  reader: SqlStore,
  path: string,
  target: SaturationTarget,
  prefix: string,
  routedPerSecond: number,
  log: (msg: string) => void,
): Promise<SaturationResult['atRate']> {
  const rate = routedPerSecond * RATE_SHARE;
  const count = Math.max(1, Math.min(SATURATION_EVENTS, Math.round(rate * RATE_SECONDS)));
  const ratePrefix = `${prefix}r`;
  const requests = signedRequests(target.key, ratePrefix, count);
  const sentAt: number[] = new Array(count).fill(0);
  const statuses = new Map<number, number>();
  const responseMs: number[] = [];
  const pending: Promise<void>[] = [];
  let errors = 0;
  const before = await decisionHistogram(child);
  log(`saturation: fixed rate ${round(rate)}/s × ${count}`);
  const watcher = new CommitWatcher(reader, target.tenant, `msg_${ratePrefix}_`);
  await watcher.start();
  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.min(count, Math.floor((elapsed / 1000) * rate) + 1);
      while (next < due) {
        const i = next++;
        const r = requests[i] as SignedRequest;
        sentAt[i] = Date.now();
        const t = performance.now();
        pending.push(
          pool
            .request({ path, method: 'POST', headers: headersOf(r), body: r.body })
            .then(async (res) => {
              await res.body.dump();
              responseMs.push(performance.now() - t);
              statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            })
            .catch(() => {
              errors++;
            }),
        );
      }
      if (next >= count || elapsed > SEND_BOUND_MS) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.allSettled(pending);
  await waitSettled(reader, SETTLE_BOUND_MS);
  await watcher.stop();
  const after = await decisionHistogram(child);
  const rows = await decisionTimes(reader, ratePrefix);
  const latencies = rows.map((r) => r.decidedAt - (sentAt[r.index] ?? r.decidedAt));
  const committed = [...watcher.seen].map(([i, at]) => at - (sentAt[i] ?? at));
  return {
    targetPerSecond: round(rate),
    sent: next,
    sendSeconds: round(sendSeconds, 3),
    statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
    errors,
    decided: rows.length,
    postToCommittedMs: percentiles(committed),
    postToDecisionTimestampMs: percentiles(latencies),
    clientResponseMs: percentiles(responseMs),
    committedLatency: histogramDelta(before, after),
  };
}

/**
 * Sees decisions commit: polls every 5 ms for the tenant's events after a cursor, in id order
 * (intake mints ids in arrival order and one worker claims and commits them in that order),
 * and stamps each event of the phase when it is first seen out of pending/processing.
 */
class CommitWatcher {
  readonly seen = new Map<number, number>();
  private cursor = '';
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly reader: SqlStore,
    private readonly tenant: string,
    private readonly prefix: string,
  ) {}

  async start(): Promise<void> {
    const r = await sql<{ id: string | null }>`
      select max(id) as id from events where tenant_id = ${this.tenant}`.execute(this.reader.db);
    this.cursor = r.rows[0]?.id ?? '';
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.poll();
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.poll();
      await sleep(5);
    }
  }

  private async poll(): Promise<void> {
    const r = await sql<{ id: string; dedupe_key: string; status: string }>`
      select id, dedupe_key, status from events where tenant_id = ${this.tenant} and id > ${this.cursor}
      order by id limit 2000`.execute(this.reader.db);
    const now = Date.now();
    for (const row of r.rows) {
      if (row.status === 'pending' || row.status === 'processing') break;
      if (row.dedupe_key.startsWith(this.prefix)) this.seen.set(Number(row.dedupe_key.slice(this.prefix.length)), now);
      this.cursor = row.id;
    }
  }
}

async function openEvents(reader: SqlStore): Promise<number> {
  const r = await sql<{ n: number | string }>`
    select count(*) as n from events where status in ('pending', 'processing')`.execute(reader.db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Polls every 20 ms until no event is pending or processing. */
async function waitSettled(reader: SqlStore, boundMs: number): Promise<boolean> {
  const start = performance.now();
  while (performance.now() - start < boundMs) {
    if ((await openEvents(reader)) === 0) return true;
    await sleep(20);
  }
  return false;
}

/** Decisions of the events sent with `prefix` (webhook-id msg_<prefix>_<i>), with the send index i. */
async function decisionTimes(reader: SqlStore, prefix: string): Promise<{ index: number; decidedAt: number }[]> {
  const like = `msg_${prefix}_%`;
  const r = await sql<{ dedupe_key: string; created_at: string }>`
    select e.dedupe_key, d.created_at from events e
    join decisions d on d.tenant_id = e.tenant_id and d.id = e.decision_id
    where e.dedupe_key like ${like}`.execute(reader.db);
  const cut = `msg_${prefix}_`.length;
  return r.rows.map((row) => ({ index: Number(row.dedupe_key.slice(cut)), decidedAt: Date.parse(row.created_at) }));
}

async function outcomes(reader: SqlStore, prefix: string): Promise<Record<string, number>> {
  const like = `msg_${prefix}_%`;
  const r = await sql<{ k: string; n: number | string }>`
    select d.outcome as k, count(*) as n from events e
    join decisions d on d.tenant_id = e.tenant_id and d.id = e.decision_id
    where e.dedupe_key like ${like} group by d.outcome`.execute(reader.db);
  return Object.fromEntries(r.rows.map((row) => [row.k, Number(row.n)]));
}

type Histogram = Map<string, number>;

/** switchyard_decision_latency_seconds buckets (le → cumulative count) from /metrics. */
async function decisionHistogram(child: Child): Promise<Histogram> {
  const res = await request(`${child.baseUrl}/metrics`);
  const text = await res.body.text();
  const out: Histogram = new Map();
  for (const m of text.matchAll(/^switchyard_decision_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

function histogramDelta(
  before: Histogram,
  after: Histogram,
): NonNullable<SaturationResult['atRate']>['committedLatency'] {
  const buckets = [...after].map(([le, n]) => ({ le, n: n - (before.get(le) ?? 0) }));
  const count = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  const share = (le: string) => round((buckets.find((b) => b.le === le)?.n ?? 0) / Math.max(count, 1), 4);
  const upTo = (q: number) => {
    const b = buckets.find((x) => x.n >= q * count);
    return b ? (b.le === '+Inf' ? '> 10 s' : `≤ ${Number(b.le) * 1000} ms`) : 'n/a';
  };
  return { count, within20ms: share('0.02'), within50ms: share('0.05'), p50UpTo: upTo(0.5), p99UpTo: upTo(0.99) };
}

async function readProbe(out: string): Promise<unknown> {
  const start = performance.now();
  while (!existsSync(`${out}.done`) && performance.now() - start < PROBE_BOUND_MS) await sleep(100);
  if (!existsSync(`${out}.sql.json`)) return { error: 'the child wrote no probe within 30 s' };
  return JSON.parse(readFileSync(`${out}.sql.json`, 'utf8'));
}

/** [busy, total] jiffies of all CPUs, from /proc/stat (Linux); null elsewhere. */
function machineTicks(): [number, number] | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return [total - idle, total];
  } catch {
    return null;
  }
}

function busyShare(a: [number, number] | null, b: [number, number] | null): number | null {
  if (!a || !b || b[1] === a[1]) return null;
  return round((b[0] - a[0]) / (b[1] - a[1]), 3);
}
