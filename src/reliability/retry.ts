/**
 * When to try failed work again (an outbox row, a remote function call, a pipeline event).
 * Pure: the randomness is passed in. Exponential backoff with full jitter (a uniform delay in
 * [0, min(cap, base·2^(n-1)))), so many failing together do not retry together; the other
 * side's Retry-After is a lower bound (never earlier). After `maxAttempts` attempts it is
 * given up.
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
  const r = Math.min(Math.max(random(), 0), 1);
  let delayMs = Math.floor(r * backoffCeilingMs(policy, attempts));
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0)
    delayMs = Math.max(delayMs, Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS));
  return { retry: true, delayMs };
}

/** The exclusive upper bound of the jittered delay after `attempts` attempts: min(cap, base·2^(n-1)). */
export function backoffCeilingMs(policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>, attempts: number): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 52));
}
