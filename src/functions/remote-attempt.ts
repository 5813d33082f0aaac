/**
 * One attempt at a remote function: POST the input signed per Standard Webhooks, read the
 * answer (bounded in size and time), check that the function signed it for this very request
 * (same `webhook-id`, fresh timestamp, our secret), then parse it. Never throws: every way an
 * attempt can end is an AttemptResult (a never-throw mapping of src/reliability's
 * RetryableError = transient and PermanentError = permanent; the status is classified by
 * httpOutcome), and the runner (remote.ts) decides whether to retry.
 */

import { standardWebhookHeaders, verifyStandardWebhook } from '../crypto/standard-webhooks.js';
import { causeOf, httpOutcome } from '../reliability/http-outcome.js';

/** Larger answers are refused: no score, decision or Task needs more. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

export const RESPONSE_SIGNATURE_FAILED = 'response signature did not verify';
export const NOT_JSON = 'answer is not JSON';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface AttemptRequest {
  fetch: FetchLike;
  url: string;
  /** Raw key bytes (the base64 part of `whsec_…`): signs the request, verifies the answer. */
  key: Buffer;
  /** The same on every attempt of one call. */
  webhookId: string;
  /** `name@version`, sent as `x-switchyard-function`. */
  functionRef: string;
  body: string;
  timeoutMs: number;
  /** Epoch ms: the request's `webhook-timestamp` and the clock the answer's timestamp is checked against. */
  now: () => number;
}

export type AttemptResult =
  | { kind: 'answer'; value: unknown; status: number }
  /** Worth another attempt: no connection, no answer in time, 408, 429, 5xx. */
  | { kind: 'transient'; timedOut: boolean; reason: string; detail: string; retryAfterMs?: number }
  /** Another attempt would get the same: a 4xx, a redirect, a bad signature, not JSON, too large. */
  | { kind: 'permanent'; reason: string; detail: string };

export async function attemptRemote(r: AttemptRequest): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), r.timeoutMs);
  const timedOut: AttemptResult = {
    kind: 'transient',
    timedOut: true,
    reason: `no answer within ${r.timeoutMs} ms`,
    detail: `timeout after ${r.timeoutMs} ms`,
  };
  try {
    let res: Response;
    try {
      res = await r.fetch(r.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Switchyard-Functions/1',
          'x-switchyard-function': r.functionRef,
          ...standardWebhookHeaders(r.key, r.webhookId, r.now(), r.body),
        },
        body: r.body,
        // A redirect would send the signed input somewhere the function's author did not declare.
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (e) {
      if (controller.signal.aborted) return timedOut;
      const why = `connection failed: ${causeOf(e)}`;
      return { kind: 'transient', timedOut: false, reason: why, detail: why };
    }

    const status = res.status;
    const outcome = httpOutcome(status, res.headers, new Date(r.now()));
    if (outcome.kind !== 'success') {
      await res.body?.cancel().catch(() => {});
      const reason = `function answered ${status}`;
      if (outcome.kind === 'transient')
        return {
          kind: 'transient',
          timedOut: false,
          reason,
          detail: String(status),
          retryAfterMs: outcome.retryAfterMs,
        };
      if (outcome.redirect)
        return { kind: 'permanent', reason: `${reason}; redirects are not followed`, detail: String(status) };
      return { kind: 'permanent', reason, detail: String(status) };
    }

    let body: Buffer | null;
    try {
      body = await readBounded(res, MAX_RESPONSE_BYTES);
    } catch (e) {
      if (controller.signal.aborted) return timedOut;
      const why = `answer cut off: ${causeOf(e)}`;
      return { kind: 'transient', timedOut: false, reason: why, detail: `${status}, ${why}` };
    }
    if (body === null) {
      const why = `answer is larger than ${MAX_RESPONSE_BYTES / 1024} KB`;
      return { kind: 'permanent', reason: why, detail: `${status}, ${why}` };
    }

    const problem = checkResponseSignature(res.headers, body, r);
    if (problem)
      return {
        kind: 'permanent',
        reason: RESPONSE_SIGNATURE_FAILED,
        detail: `${status}, ${RESPONSE_SIGNATURE_FAILED}: ${problem}`,
      };

    try {
      return { kind: 'answer', value: JSON.parse(body.toString('utf8')), status };
    } catch {
      return { kind: 'permanent', reason: NOT_JSON, detail: `${status}, ${NOT_JSON}` };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Why the answer's signature does not bind it to this request, or undefined when it does. */
function checkResponseSignature(headers: Headers, body: Buffer, r: AttemptRequest): string | undefined {
  const id = headers.get('webhook-id') ?? undefined;
  const timestamp = headers.get('webhook-timestamp') ?? undefined;
  const signature = headers.get('webhook-signature') ?? undefined;
  if (!id || !timestamp || !signature) return 'webhook-id, webhook-timestamp and webhook-signature are required';
  // The id binds the answer to the question: a signed answer to another call cannot be replayed here.
  if (id !== r.webhookId) return 'webhook-id is not the request’s';
  const v = verifyStandardWebhook(body, { id, timestamp, signature }, [{ key: r.key }], new Date(r.now()));
  if (v.ok) return undefined;
  return v.reason.replaceAll('_', ' ');
}

/** The body, or null as soon as it exceeds `limit` bytes (declared or actual). */
async function readBounded(res: Response, limit: number): Promise<Buffer | null> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
