/**
 * End to end at a fixed rate: an open loop sends one distinct task every 2 ms (500/s) for 10 s
 * without waiting for answers, then waits (≤ 60 s) until every accepted event has left the
 * pipeline, and reads latencies straight from the SQLite file (read-only).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Sqlite from 'better-sqlite3';
import { keepAlivePool } from './load.js';
import { type Child, within } from './proc.js';
import { headersOf, type SignedRequest, signedRequests } from './signed-events.js';
import { round } from './throughput.js';

export const E2E_RATE = 500;
const INTERVAL_MS = 1000 / E2E_RATE;
export const E2E_COUNT = 5_000;
const SEND_BOUND_MS = 20_000;
const SETTLE_BOUND_MS = 60_000;

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface E2eResult {
  latencyCovers: string;
  targetRate: number;
  sent: number;
  sendSeconds: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  /** Most requests the client had sent but not yet seen answered (above 64, undici queues them). */
  maxClientInFlight: number;
  maxClientInFlightAtSecond: number;
  /** Requests in flight at the end of each second of sending. */
  clientInFlightEachSecond: number[];
  /** POST → response, as the client saw it (includes waiting for a free connection). */
  clientResponseMs: Percentiles;
  /** Seconds from the first send slot to the last answer, and to the last committed decision. */
  lastResponseAtSecond: number;
  lastDecisionAtSecond: number;
  settleSeconds: number;
  settled: boolean;
  eventStatuses: Record<string, number>;
  outcomes: Record<string, number>;
  latencyMs: Percentiles;
  /** The same decisions measured from each event's scheduled send slot, so client-side queueing counts too. */
  fromScheduledSendMs: Percentiles;
  notDecided: number;
}

export async function runE2e(
  child: Child,
  dbPath: string,
  target: { tenant: string; integration: string; key: Buffer },
  log: (msg: string) => void,
): Promise<E2eResult> {
  const requests = signedRequests(target.key, 'e2e', E2E_COUNT);
  const path = `/hooks/${target.tenant}/${target.integration}`;
  const pool = keepAlivePool(child.baseUrl);
  const statuses = new Map<number, number>();
  let errors = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxInFlightAt = 0;
  const responseMs: number[] = [];
  const inFlightEachSecond: number[] = [];
  const pending: Promise<void>[] = [];
  let started = 0;
  const send = (r: SignedRequest) => {
    const sentAt = performance.now();
    inFlight++;
    if (inFlight > maxInFlight) {
      maxInFlight = inFlight;
      maxInFlightAt = (sentAt - started) / 1000;
    }
    pending.push(
      pool
        .request({ path, method: 'POST', headers: headersOf(r), body: r.body })
        .then(async (res) => {
          await res.body.dump();
          responseMs.push(performance.now() - sentAt);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        })
        .catch((e: unknown) => {
          errors++;
          firstError ??= (e as Error).message;
        })
        .finally(() => inFlight--),
    );
  };

  try {
    log(`e2e: open loop, ${E2E_RATE}/s × ${E2E_COUNT}`);
    started = performance.now();
    const startedWall = Date.now();
    let next = 0;
    // Open loop: a 2 ms timer sends every request whose slot (start + i × 2 ms) has come, answered or not.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started;
        const due = Math.min(E2E_COUNT, Math.floor(elapsed / INTERVAL_MS) + 1);
        while (next < due) send(requests[next++] as SignedRequest);
        if (elapsed >= (inFlightEachSecond.length + 1) * 1000) inFlightEachSecond.push(inFlight);
        if (next >= E2E_COUNT || elapsed > SEND_BOUND_MS) {
          clearInterval(timer);
          resolve();
        }
      }, INTERVAL_MS);
    });
    const sendSeconds = (performance.now() - started) / 1000;
    await within(Promise.allSettled(pending), 30_000);
    const lastResponseAt = (performance.now() - started) / 1000;
    const accepted = statuses.get(202) ?? 0;

    log(`e2e: ${accepted} accepted; waiting for the pipeline`);
    const settleStart = performance.now();
    const db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
    try {
      const open = db.prepare(
        `SELECT count(*) AS total, coalesce(sum(status IN ('pending', 'processing')), 0) AS open FROM events`,
      );
      let settled = false;
      while (performance.now() - settleStart < SETTLE_BOUND_MS) {
        const row = open.get() as { total: number; open: number };
        if (row.total >= accepted && row.open === 0) {
          settled = true;
          break;
        }
        await sleep(200);
      }
      const settleSeconds = (performance.now() - settleStart) / 1000;
      const rows = db
        .prepare(
          `SELECT e.dedupe_key AS webhookId, e.received_at AS receivedAt, d.created_at AS decidedAt FROM events e
           JOIN decisions d ON d.tenant_id = e.tenant_id AND d.id = e.decision_id`,
        )
        .all() as { webhookId: string; receivedAt: string; decidedAt: string }[];
      const lastDecision = rows.reduce((m, r) => Math.max(m, Date.parse(r.decidedAt)), startedWall);
      const latencies = rows.map((r) => Date.parse(r.decidedAt) - Date.parse(r.receivedAt));
      // The demo dedupes on webhook-id (msg_e2e_<i>), which names the send slot i.
      const fromSlot = rows.map(
        (r) => Date.parse(r.decidedAt) - (startedWall + Number(r.webhookId.slice('msg_e2e_'.length)) * INTERVAL_MS),
      );
      const groupCount = (sql: string) =>
        Object.fromEntries((db.prepare(sql).all() as { k: string; n: number }[]).map((r) => [r.k, r.n]));
      return {
        latencyCovers:
          "intake handler start (events.received_at) → decision timestamp (decisions.created_at: the event's one `now`, " +
          'taken when the pipeline starts preparing it, committed with the decision); only committed decisions are counted',
        targetRate: E2E_RATE,
        sent: next,
        sendSeconds: round(sendSeconds, 3),
        statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
        errors,
        ...(firstError ? { firstError } : {}),
        maxClientInFlight: maxInFlight,
        maxClientInFlightAtSecond: round(maxInFlightAt, 3),
        clientInFlightEachSecond: inFlightEachSecond,
        clientResponseMs: percentiles(responseMs),
        lastResponseAtSecond: round(lastResponseAt, 3),
        lastDecisionAtSecond: round((lastDecision - startedWall) / 1000, 3),
        settleSeconds: round(settleSeconds, 3),
        settled,
        eventStatuses: groupCount('SELECT status AS k, count(*) AS n FROM events GROUP BY status'),
        outcomes: groupCount('SELECT outcome AS k, count(*) AS n FROM decisions GROUP BY outcome'),
        latencyMs: percentiles(latencies),
        fromScheduledSendMs: percentiles(fromSlot),
        notDecided: accepted - latencies.length,
      };
    } finally {
      db.close();
    }
  } finally {
    await pool.close();
  }
}

/** Nearest-rank percentiles, in whole milliseconds. */
/** Nearest-rank percentiles, in whole milliseconds (the e2e and saturation runs share it). */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0
      ? 0
      : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0), count: sorted.length };
}
