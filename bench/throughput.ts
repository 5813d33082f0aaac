/**
 * One throughput measurement against a running child: a warm-up (not counted) whose rate sizes
 * the pre-signed request list, then the timed window. The same procedure serves the real intake
 * server and the bare-insert ceiling, so the two numbers compare like for like.
 */
import { closedLoop, IN_FLIGHT, keepAlivePool, type LoadResult } from './load.js';
import type { Child } from './proc.js';
import { signedRequests } from './signed-events.js';

/** Warm-up, not counted: a first part to get the JIT and connections going, then one whose rate sizes the list. */
export const WARMUP_MS = 1_750;
const WARMUP_SETTLE_MS = 750;
export const TIMED_MS = 10_000;
const WARMUP_REQUESTS = 60_000;
/** Bounds on pre-signed requests for the timed window (memory stays a few hundred MB at most). */
const MIN_TIMED_REQUESTS = 100_000;
const MAX_TIMED_REQUESTS = 600_000;

export interface Throughput {
  perSecond: number;
  accepted202: number;
  non202: Record<string, number>;
  errors: number;
  firstError?: string;
  seconds: number;
  sent: number;
  preSigned: number;
  exhausted: boolean;
  warmup: { seconds: number; perSecondAtEnd: number; statuses: Record<string, number> };
}

export async function measureThroughput(
  child: Child,
  target: { tenant: string; integration: string; key: Buffer; prefix: string },
  log: (msg: string) => void,
): Promise<Throughput> {
  const path = `/hooks/${target.tenant}/${target.integration}`;
  const pool = keepAlivePool(child.baseUrl);
  try {
    const warmSet = signedRequests(target.key, `${target.prefix}w`, WARMUP_REQUESTS);
    log(`${child.name}: warm-up ${WARMUP_MS} ms`);
    const settle = await closedLoop(pool, path, warmSet, WARMUP_SETTLE_MS);
    const warm = await closedLoop(pool, path, warmSet.slice(settle.sent), WARMUP_MS - WARMUP_SETTLE_MS);
    const warmRate = count(warm, 202) / Math.max(warm.seconds, 0.001);
    const wanted = Math.ceil(warmRate * (TIMED_MS / 1000) * 2.5);
    const n = Math.min(MAX_TIMED_REQUESTS, Math.max(MIN_TIMED_REQUESTS, wanted));
    log(`${child.name}: warm-up ${Math.round(warmRate)}/s; pre-signing ${n} requests`);
    const timedSet = signedRequests(target.key, `${target.prefix}t`, n);
    log(`${child.name}: timed window ${TIMED_MS} ms, ${IN_FLIGHT} in flight`);
    const timed = await closedLoop(pool, path, timedSet, TIMED_MS);
    const accepted = count(timed, 202);
    const non202 = Object.fromEntries(Object.entries(timed.statuses).filter(([s]) => s !== '202'));
    return {
      perSecond: round(accepted / timed.seconds),
      accepted202: accepted,
      non202,
      errors: timed.errors,
      ...(timed.firstError ? { firstError: timed.firstError } : {}),
      seconds: round(timed.seconds, 3),
      sent: timed.sent,
      preSigned: n,
      exhausted: timed.exhausted,
      warmup: {
        seconds: round(settle.seconds + warm.seconds, 3),
        perSecondAtEnd: round(warmRate),
        statuses: merge(settle.statuses, warm.statuses),
      },
    };
  } finally {
    await pool.close();
  }
}

function merge(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function count(r: LoadResult, status: number): number {
  return r.statuses[String(status)] ?? 0;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
