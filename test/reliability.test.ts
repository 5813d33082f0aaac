/**
 * src/reliability: the one HTTP outcome classifier (what the outbox targets and the remote
 * function runner both use), Retry-After in seconds or as an HTTP date, and the jitter bounds
 * of nextRetry, including the pipeline's event retries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_RETRY, MAX_ATTEMPTS, retryDelayMs } from '../src/pipeline/process-event.js';
import { PermanentError, RetryableError } from '../src/reliability/errors.js';
import { causeOf, httpOutcome, outcomeError } from '../src/reliability/http-outcome.js';
import { backoffCeilingMs, nextRetry } from '../src/reliability/retry.js';

const now = new Date('2026-01-01T00:00:00Z');
const headers = (h: Record<string, string> = {}) => new Headers(h);

describe('httpOutcome', () => {
  it('2xx is success; 408, 429 and every 5xx are transient; other 3xx and 4xx are permanent', () => {
    const kinds = Object.fromEntries(
      [
        200, 201, 204, 299, 301, 302, 304, 307, 400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 501, 502, 503, 504,
      ].map((s) => [s, httpOutcome(s, headers(), now).kind]),
    );
    expect(kinds).toEqual({
      200: 'success',
      201: 'success',
      204: 'success',
      299: 'success',
      301: 'permanent',
      302: 'permanent',
      304: 'permanent',
      307: 'permanent',
      400: 'permanent',
      401: 'permanent',
      403: 'permanent',
      404: 'permanent',
      408: 'transient',
      409: 'permanent',
      422: 'permanent',
      425: 'permanent',
      429: 'transient',
      500: 'transient',
      501: 'transient',
      502: 'transient',
      503: 'transient',
      504: 'transient',
    });
  });

  it('marks redirects (never followed) among the permanent answers', () => {
    expect(httpOutcome(302, headers({ location: 'https://elsewhere' }), now)).toEqual({
      kind: 'permanent',
      redirect: true,
    });
    expect(httpOutcome(404, headers(), now)).toEqual({ kind: 'permanent', redirect: false });
  });

  it('reads Retry-After on every transient answer, as delay-seconds or an HTTP date', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(httpOutcome(status, headers({ 'retry-after': '120' }), now)).toEqual({
        kind: 'transient',
        retryAfterMs: 120_000,
      });
    }
    expect(httpOutcome(503, headers({ 'retry-after': 'Thu, 01 Jan 2026 00:01:30 GMT' }), now)).toEqual({
      kind: 'transient',
      retryAfterMs: 90_000,
    });
    expect(httpOutcome(429, headers({ 'retry-after': ' 7 ' }), now)).toEqual({
      kind: 'transient',
      retryAfterMs: 7_000,
    });
    // The obsolete forms an HTTP/1.1 recipient must still read (RFC 9110 §5.6.7).
    for (const old of ['Thursday, 01-Jan-26 00:01:30 GMT', 'Thu Jan  1 00:01:30 2026']) {
      expect(httpOutcome(503, headers({ 'retry-after': old }), now)).toEqual({
        kind: 'transient',
        retryAfterMs: 90_000,
      });
    }
  });

  it('a past date means now (0); garbage, a negative or fractional number, or none means no Retry-After', () => {
    expect(httpOutcome(503, headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toEqual({
      kind: 'transient',
      retryAfterMs: 0,
    });
    for (const garbage of ['soon', '-5', '1.5', '', '12abc']) {
      expect(httpOutcome(503, headers({ 'retry-after': garbage }), now)).toEqual({
        kind: 'transient',
        retryAfterMs: undefined,
      });
    }
    expect(httpOutcome(500, headers(), now)).toEqual({ kind: 'transient', retryAfterMs: undefined });
  });

  it('ignores Retry-After on a permanent answer: there is no retry to delay', () => {
    expect(httpOutcome(400, headers({ 'retry-after': '60' }), now)).toEqual({ kind: 'permanent', redirect: false });
    expect(httpOutcome(301, headers({ 'retry-after': '60' }), now)).toEqual({ kind: 'permanent', redirect: true });
  });

  it('becomes the typed error the retry loops read', () => {
    const transient = outcomeError({ kind: 'transient', retryAfterMs: 5_000 }, 'receiver answered 503');
    expect(transient).toBeInstanceOf(RetryableError);
    expect(transient).toMatchObject({ message: 'receiver answered 503', retryAfterMs: 5_000 });
    const permanent = outcomeError({ kind: 'permanent', redirect: false }, 'receiver answered 404');
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(permanent.message).toBe('receiver answered 404');
  });

  it('names why a request got no answer, on one line', () => {
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } });
    expect(causeOf(refused)).toBe('ECONNREFUSED');
    expect(causeOf(new Error('first line\nsecond line'))).toBe('first line');
  });
});

describe('nextRetry jitter', () => {
  const policy = { baseMs: 1_000, capMs: 60_000, maxAttempts: 12 };

  it('every delay is in [0, min(cap, base·2^(n-1))) for any random value in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempts, r) => {
          const v = nextRetry(policy, attempts, () => r);
          const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempts - 1));
          expect(backoffCeilingMs(policy, attempts)).toBe(ceiling);
          expect(v.retry).toBe(true);
          if (v.retry) {
            expect(v.delayMs).toBeGreaterThanOrEqual(0);
            expect(v.delayMs).toBeLessThan(ceiling);
          }
        },
      ),
    );
  });
});

describe('the pipeline retries a failed event with jitter', () => {
  it('after failure n (1..4) the delay is in [0, 1 s·2^(n-1)): [0, 1 s), [0, 2 s), [0, 4 s), [0, 8 s)', () => {
    expect(EVENT_RETRY).toEqual({ baseMs: 1_000, capMs: 8_000, maxAttempts: MAX_ATTEMPTS });
    for (const [attempts, ceiling] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [4, 8_000],
    ] as const) {
      expect(retryDelayMs({ random: () => 0 }, attempts)).toBe(0);
      expect(retryDelayMs({ random: () => 0.5 }, attempts)).toBe(ceiling / 2);
      expect(retryDelayMs({ random: () => 0.999_999 }, attempts)).toBe(ceiling - 1);
      for (let i = 0; i < 50; i++) {
        const d = retryDelayMs({}, attempts);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it('honours a RetryableError’s retryAfterMs as a floor, and is due at once when the attempts are spent', () => {
    expect(retryDelayMs({ random: () => 0 }, 1, new RetryableError('busy', { retryAfterMs: 30_000 }))).toBe(30_000);
    expect(retryDelayMs({ random: () => 0.5 }, 1, new Error('boom'))).toBe(500);
    // The 5th failure: the next claim dead-letters it ("gave up after 5 failed attempts").
    expect(retryDelayMs({ random: () => 0.5 }, MAX_ATTEMPTS)).toBe(0);
  });
});
