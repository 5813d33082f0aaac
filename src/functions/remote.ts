/**
 * The remote (serverless) function runner: one call = POST the input, signed per Standard
 * Webhooks, to the function's URL and take back its signed JSON answer (protocol:
 * docs/functions-remote.md; one attempt: remote-attempt.ts).
 *
 * Bounded: each attempt has `timeoutMs`; transient failures (no connection, no answer in
 * time, 408, 429, 5xx) are retried up to `retries` times with a short jittered backoff; the
 * whole call has a deadline of timeoutMs × (retries + 1) + the backoff budget, and a
 * Retry-After is honoured only when it ends before that deadline. Everything else (another
 * 4xx, a redirect, a bad or missing answer signature, not JSON, too large) ends the call at
 * once. A circuit breaker per (tenant, function name) stops calling a function whose calls
 * keep failing transiently. `run` never throws for anything the remote side does.
 */
import { randomUUID } from 'node:crypto';
import { type BreakerOptions, CircuitBreaker } from '../reliability/circuit-breaker.js';
import { backoffCeilingMs, nextRetry, type RetryPolicy } from '../reliability/retry.js';
import { type AttemptResult, attemptRemote, type FetchLike } from './remote-attempt.js';
import { checkRemoteSpec } from './remote-spec.js';
import type { FunctionInput, FunctionRun, FunctionVersion } from './types.js';

export { MAX_RESPONSE_BYTES } from './remote-attempt.js';
export { checkRemoteSpec, REMOTE_LIMITS } from './remote-spec.js';

export interface RemoteRunner {
  /** Never throws for remote faults: every ending is a FunctionRun. */
  run(fn: FunctionVersion, input: FunctionInput, secret: Buffer): Promise<FunctionRun>;
}

export interface RemoteRunnerOptions {
  /** Per (tenant, function name); defaults: 5 consecutive failed calls pause it for 30 s. */
  breaker?: Partial<BreakerOptions>;
  /** Epoch ms: signing timestamps, the answer's timestamp check and the breaker's clock. */
  now?: () => number;
  /** Defaults to the global fetch (undici). */
  fetch?: FetchLike;
  /** In [0, 1), for the backoff jitter; defaults to Math.random. */
  random?: () => number;
}

/**
 * Backoff before retry n (1-based), by src/reliability/retry.ts nextRetry: a uniform delay in
 * [0, min(cap, base·2^(n-1))). Short on purpose: a decision is waiting. The sum over the
 * allowed retries is the budget the deadline adds on top of the attempts' timeouts.
 */
export const REMOTE_BACKOFF = { baseMs: 50, capMs: 400 } as const;

/** The retry policy of one call: `retries` retries after the first attempt. */
const retryPolicy = (spec: { retries: number }): RetryPolicy => ({ ...REMOTE_BACKOFF, maxAttempts: spec.retries + 1 });

/** The longest one call may take, in ms: every attempt's timeout plus every backoff at its ceiling. */
export function remoteDeadlineMs(spec: { timeoutMs: number; retries: number }): number {
  let budget = spec.timeoutMs * (spec.retries + 1);
  for (let n = 1; n <= spec.retries; n++) budget += backoffCeilingMs(REMOTE_BACKOFF, n);
  return budget;
}

export function createRemoteRunner(options: RemoteRunnerOptions = {}): RemoteRunner {
  const now = options.now ?? Date.now;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const random = options.random ?? Math.random;
  const breaker = new CircuitBreaker(options.breaker, now);

  async function run(fn: FunctionVersion, input: FunctionInput, secret: Buffer): Promise<FunctionRun> {
    const started = performance.now();
    const logs: string[] = [];
    const end = (outcome: FunctionRun['outcome'], rest: { value?: unknown; error?: string }): FunctionRun => ({
      outcome,
      ...rest,
      logs,
      durationMs: Math.round(performance.now() - started),
    });

    const spec = fn.remote;
    if (!spec) return end('error', { error: 'the function has no remote URL' });
    const problems = checkRemoteSpec(spec);
    if (problems.length) return end('error', { error: problems[0] });
    if (secret.length === 0) return end('error', { error: 'the function has no signing secret' });

    let body: string;
    try {
      body = JSON.stringify(input);
    } catch (e) {
      return end('error', { error: `the input cannot be sent as JSON: ${(e as Error).message}` });
    }

    const key = `${fn.tenantId}\u0000${fn.name}`;
    const admission = breaker.admit(key);
    if (!admission.allowed)
      return end('error', { error: `circuit open until ${new Date(admission.retryAt).toISOString()}` });

    // Until the call says otherwise, it told the breaker nothing (a trial must always be recorded).
    let verdict: 'success' | 'failure' | 'neutral' = 'neutral';
    try {
      const deadline = performance.now() + remoteDeadlineMs(spec);
      const webhookId = `msg_${randomUUID().replaceAll('-', '')}`;
      const functionRef = `${encodeURIComponent(fn.name)}@${fn.version}`;
      let last: Exclude<AttemptResult, { kind: 'answer' }> | undefined;
      for (let attempt = 1; ; attempt++) {
        const timeoutMs = Math.min(spec.timeoutMs, Math.ceil(deadline - performance.now()));
        if (timeoutMs <= 0) break;
        const r = await attemptRemote({
          fetch: doFetch,
          url: spec.url,
          key: secret,
          webhookId,
          functionRef,
          body,
          timeoutMs,
          now,
        });
        if (r.kind === 'answer') {
          logs.push(`attempt ${attempt}: ${r.status}`);
          verdict = 'success';
          return end('ok', { value: r.value });
        }
        logs.push(`attempt ${attempt}: ${r.detail}`);
        last = r;
        if (r.kind === 'permanent') break;
        const next = nextRetry(retryPolicy(spec), attempt, random, r.retryAfterMs);
        if (!next.retry) break;

        const remaining = deadline - performance.now();
        if (r.retryAfterMs !== undefined && r.retryAfterMs >= remaining) {
          last = {
            ...r,
            reason: `${r.reason} and asked to retry after ${formatMs(r.retryAfterMs)}, past the deadline`,
          };
          break;
        }
        const { delayMs } = next;
        if (delayMs >= remaining) break;
        if (delayMs > 0) await sleep(delayMs);
      }

      // The remote is unreachable, slow or failing: that is what the breaker counts. A function
      // that answers, however wrongly (4xx, bad signature, not JSON), is up; pausing it would not help.
      if (!last) return end('timeout', { error: 'no time left before the deadline' });
      verdict = last.kind === 'transient' ? 'failure' : 'neutral';
      const attempts = logs.length;
      const error = attempts > 1 ? `${last.reason} (after ${attempts} attempts)` : last.reason;
      return end(last.kind === 'transient' && last.timedOut ? 'timeout' : 'error', { error });
    } catch (e) {
      return end('error', { error: `remote call failed: ${(e as Error).message ?? String(e)}` });
    } finally {
      breaker.record(key, verdict);
    }
  }

  return { run };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const formatMs = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);
