/**
 * Closed-loop load: `concurrency` workers share one keep-alive undici Pool and each keeps
 * exactly one request in flight, taking the next pre-signed request as soon as its previous
 * one answered. Bounded by the request list and by a deadline.
 */
import { Pool } from 'undici';
import { headersOf, type SignedRequest } from './signed-events.js';

export const CONNECTIONS = 64;
export const IN_FLIGHT = 64;

export interface LoadResult {
  seconds: number;
  sent: number;
  /** Responses by HTTP status, completed within the window. */
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  /** True when the pre-signed requests ran out before the deadline. */
  exhausted: boolean;
}

export function keepAlivePool(baseUrl: string): Pool {
  return new Pool(baseUrl, {
    connections: CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
}

export async function closedLoop(
  pool: Pool,
  path: string,
  requests: readonly SignedRequest[],
  durationMs: number,
): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + durationMs;
  let lastCompletion = started;

  const worker = async () => {
    while (next < requests.length && performance.now() < deadline) {
      const r = requests[next++] as SignedRequest;
      try {
        const res = await pool.request({ path, method: 'POST', headers: headersOf(r), body: r.body });
        await res.body.dump();
        const now = performance.now();
        if (now <= deadline) {
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          lastCompletion = now;
        }
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const exhausted = next >= requests.length;
  // When the list ran out early, the window ends with the last answer; otherwise at the deadline.
  const seconds = ((exhausted ? Math.min(lastCompletion, deadline) : deadline) - started) / 1000;
  return {
    seconds,
    sent: next,
    statuses: Object.fromEntries([...statuses].map(([k, v]) => [String(k), v])),
    errors,
    ...(firstError ? { firstError } : {}),
    exhausted,
  };
}
