/** The retry policy: exponential backoff with full jitter, capped, a budget, Retry-After as a floor. */
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/reliability/http-outcome.js';
import { nextRetry, type RetryPolicy } from '../src/reliability/retry.js';

const policy: RetryPolicy = { baseMs: 1_000, capMs: 60_000, maxAttempts: 8 };
const top = () => 0.999_999;

describe('retry policy', () => {
  it('grows exponentially up to the cap, jittered over [0, ceiling)', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7].map((n) => {
      const v = nextRetry(policy, n, top);
      return v.retry ? v.delayMs : -1;
    });
    expect(ceilings).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999]);
    expect(nextRetry(policy, 3, () => 0)).toEqual({ retry: true, delayMs: 0 });
    expect(nextRetry(policy, 3, () => 0.5)).toEqual({ retry: true, delayMs: 2000 });
  });

  it('gives up once the attempts budget is spent', () => {
    expect(nextRetry(policy, 8, top)).toEqual({ retry: false, reason: 'gave up after 8 attempts' });
    expect(nextRetry({ ...policy, maxAttempts: 1 }, 1, top)).toMatchObject({ retry: false });
  });

  it('never retries earlier than Retry-After, even above the cap (bounded to a day)', () => {
    expect(nextRetry(policy, 1, () => 0, 30_000)).toEqual({ retry: true, delayMs: 30_000 });
    expect(nextRetry(policy, 1, () => 0, 3_600_000)).toEqual({ retry: true, delayMs: 3_600_000 });
    expect(nextRetry(policy, 7, top, 10)).toEqual({ retry: true, delayMs: 59999 });
    expect(nextRetry(policy, 1, () => 0, 10 * 86_400_000)).toEqual({ retry: true, delayMs: 86_400_000 });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
