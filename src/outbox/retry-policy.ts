/**
 * When to try a failed delivery again. Pure: the randomness is passed in.
 * Exponential backoff with full jitter (a uniform delay in [0, min(cap, base·2^(n-1)))),
 * so many rows failing together do not retry together; a receiver's Retry-After is a
 * lower bound (never earlier). After `maxAttempts` attempts the row is given up.
 */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 10 * 60_000, maxAttempts: 8 };

/** A Retry-After longer than this is taken as this (a day): a row is never parked forever. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

export type RetryVerdict = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * `attempts`: attempts made so far, the failed one included (1 after the first failure).
 * `random`: returns a number in [0, 1), like Math.random.
 */
export function nextRetry(
  policy: RetryPolicy,
  attempts: number,
  random: () => number,
  retryAfterMs?: number,
): RetryVerdict {
  if (attempts >= policy.maxAttempts)
    return { retry: false, reason: `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}` };
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 52));
  const r = Math.min(Math.max(random(), 0), 1);
  let delayMs = Math.floor(r * ceiling);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0)
    delayMs = Math.max(delayMs, Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS));
  return { retry: true, delayMs };
}

/** Retry-After: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(at - now.getTime(), 0);
}
