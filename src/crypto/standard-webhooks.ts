/**
 * Standard Webhooks (https://www.standardwebhooks.com), both sides: HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${raw body}` with the key from `whsec_<base64>`,
 * compared in constant time against every `v1,<base64>` in `webhook-signature`, for every
 * active secret (rotation). Done with node:crypto on the raw bytes rather than with the
 * `standardwebhooks` package, which re-encodes the body as a string, hashes in JavaScript
 * and reads the clock itself; our tests sign with that package to prove interoperability.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningSecret } from './secret-box.js';

export const TOLERANCE_SECONDS = 5 * 60;

/** Why a delivery did not verify. */
export type VerifyFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'bad_signature';

export type VerifyResult = { ok: true; webhookId: string } | { ok: false; reason: VerifyFailure };

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export function verifyStandardWebhook(
  body: Buffer,
  headers: SignatureHeaders,
  secrets: readonly SigningSecret[],
  now: Date,
): VerifyResult {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const ts = Number(timestamp);
  if (nowSeconds - ts > TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  if (ts - nowSeconds > TOLERANCE_SECONDS) return { ok: false, reason: 'future_timestamp' };

  const offered: Buffer[] = [];
  for (const part of signature.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const sig = Buffer.from(part.slice(comma + 1), 'base64');
    if (sig.length === 32) offered.push(sig);
  }
  if (offered.length === 0) return { ok: false, reason: 'bad_signature' };

  const prefix = Buffer.from(`${id}.${timestamp}.`);
  for (const secret of secrets) {
    if (secret.expiresAt !== undefined && secret.expiresAt <= now.getTime()) continue;
    const expected = createHmac('sha256', secret.key).update(prefix).update(body).digest();
    for (const sig of offered) if (timingSafeEqual(sig, expected)) return { ok: true, webhookId: id };
  }
  return { ok: false, reason: 'bad_signature' };
}

/** The sender's side: the `webhook-signature` value (`v1,<base64>`) for one message. */
export function signStandardWebhook(key: Buffer, id: string, timestamp: number, body: Buffer | string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three headers that sign one request: what the outbox's webhooks and the remote function
 * runner send. `webhookId` is the same on every attempt of one message (receivers dedupe on it);
 * `now` is epoch ms, sent as whole seconds.
 */
export function standardWebhookHeaders(
  key: Buffer,
  webhookId: string,
  now: number,
  body: Buffer | string,
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhook(key, webhookId, timestamp, body),
  };
}
