/**
 * What an HTTP answer means for whoever sent the request: the one classification used by the
 * outbox targets and the remote function runner. 2xx = success; 408, 429 and every 5xx =
 * transient (worth another attempt); anything else (another 4xx, a 3xx: redirects are never
 * followed) = permanent. A Retry-After (delay-seconds or an HTTP date, RFC 9110 §10.2.3) is
 * read on every transient answer: RFC 9110 defines it for 503 and 3xx and it is common on
 * 429, but a receiver that sends it with a 500 or 504 is saying when to come back too, and
 * honouring it as a lower bound only ever waits longer (as Stripe and Svix do). It is never
 * read on a permanent answer: there is no retry to delay.
 */
import { PermanentError, RetryableError } from './errors.js';

export type HttpOutcome =
  | { kind: 'success' }
  | { kind: 'transient'; retryAfterMs: number | undefined }
  | { kind: 'permanent'; redirect: boolean };

/** Anything with a case-insensitive get(), like fetch's Headers. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

export function httpOutcome(status: number, headers: HeaderSource, now: Date): HttpOutcome {
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (status === 408 || status === 429 || status >= 500)
    return { kind: 'transient', retryAfterMs: parseRetryAfter(headers.get('retry-after'), now) };
  return { kind: 'permanent', redirect: status >= 300 && status < 400 };
}

/** The typed error for a failed outcome, with `message` as its text. */
export function outcomeError(
  outcome: Exclude<HttpOutcome, { kind: 'success' }>,
  message: string,
): RetryableError | PermanentError {
  return outcome.kind === 'transient'
    ? new RetryableError(message, { retryAfterMs: outcome.retryAfterMs })
    : new PermanentError(message);
}

/** Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the day's name. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

/**
 * Retry-After: delay-seconds or an HTTP date; undefined when absent or unreadable; 0 for a past
 * date. Only a value shaped like an HTTP date is read as one: Date.parse alone takes `1.5` or
 * `-5` for days in 2001.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!HTTP_DATE.test(v)) return undefined;
  // HTTP dates are UTC; asctime's form does not say so, and Date.parse would read local time.
  const at = Date.parse(/GMT$/i.test(v) ? v : `${v} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(at - now.getTime(), 0);
}

/** Why a request got no answer (fetch's `cause`: ECONNREFUSED, a TLS error…), on one line. */
export function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const text = cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
  return text.split('\n')[0] ?? text;
}
