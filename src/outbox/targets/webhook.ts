/**
 * Outbound webhooks, signed per Standard Webhooks with the subscription's `whsec_` secret.
 * `webhook-id` is the outbox row's idempotency key, the same on every attempt, so receivers
 * dedupe on it. The answer is classified by src/reliability/http-outcome.ts: 2xx = delivered;
 * 408, 429, 5xx, connection errors and timeouts = retry (Retry-After honoured); any other
 * status = permanent.
 */

import { decryptSecret, SecretKeyError, secretKeyFromEnv, signingKeyOf } from '../../crypto/secret-box.js';
import { standardWebhookHeaders } from '../../crypto/standard-webhooks.js';
import { PermanentError, RetryableError } from '../../reliability/errors.js';
import { causeOf, httpOutcome, outcomeError } from '../../reliability/http-outcome.js';
import { newId } from '../../store/ids.js';
import type { SubscriptionRow } from '../../store/subscription-store.js';
import type { DeliveryContext, OutboxTarget } from './types.js';

/** What binds a subscription's encrypted secret to its row (AES-GCM associated data). */
export const subscriptionSecretWhere = (tenantId: string, id: string): [string, string, string] => [
  tenantId,
  'subscription',
  id,
];

export function subscriptionSecret(tenantId: string, sub: SubscriptionRow): string {
  return decryptSecret(secretKeyFromEnv(), subscriptionSecretWhere(tenantId, sub.id), sub.encryptedSecret);
}

export interface SignedPost {
  url: string;
  secret: string;
  webhookId: string;
  type: string;
  data: unknown;
  now: Date;
  signal: AbortSignal;
}

/** POST the envelope signed; the receiver's status and headers, or a RetryableError for no answer. */
export async function postSigned(p: SignedPost): Promise<{ status: number; headers: Headers }> {
  const body = JSON.stringify({ type: p.type, timestamp: p.now.toISOString(), data: p.data });
  let res: Response;
  try {
    res = await fetch(p.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchyard-Webhooks/1',
        ...standardWebhookHeaders(signingKeyOf('generic', p.secret), p.webhookId, p.now.getTime(), body),
      },
      body,
      redirect: 'manual',
      signal: p.signal,
    });
  } catch (e) {
    const why = p.signal.aborted ? 'no answer before the timeout' : `connection failed: ${causeOf(e)}`;
    throw new RetryableError(why);
  }
  await res.body?.cancel().catch(() => {});
  return { status: res.status, headers: res.headers };
}

/** Returns on 2xx; else throws the failure's class: `receiver answered <status>`. */
function throwUnlessDelivered(status: number, headers: Headers, now: Date): void {
  const outcome = httpOutcome(status, headers, now);
  if (outcome.kind !== 'success') throw outcomeError(outcome, `receiver answered ${status}`);
}

/** A signed `ping` to the subscription, now; the status the receiver answered. */
export async function pingSubscription(tenantId: string, sub: SubscriptionRow, timeoutMs: number, now = new Date()) {
  const r = await postSigned({
    url: sub.url,
    secret: subscriptionSecret(tenantId, sub),
    webhookId: `ping_${newId()}`,
    type: 'ping',
    data: { subscriptionId: sub.id },
    now,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return r.status;
}

export const webhookTarget: OutboxTarget = {
  async deliver(row, ctx: DeliveryContext) {
    const subscriptionId = row.target.slice(row.target.indexOf(':') + 1);
    const sub = await ctx.store.getSubscription(row.tenantId, subscriptionId);
    if (!sub) throw new PermanentError(`subscription ${subscriptionId} no longer exists`);
    let secret: string;
    try {
      secret = subscriptionSecret(row.tenantId, sub);
    } catch (e) {
      // A missing key is an operator fix away: keep the row and retry.
      if (e instanceof SecretKeyError) throw new RetryableError(e.message);
      throw new PermanentError(`the subscription's secret cannot be decrypted: ${(e as Error).message}`);
    }
    const { status, headers } = await postSigned({
      url: sub.url,
      secret,
      webhookId: row.idempotencyKey,
      type: row.topic,
      data: row.payload,
      now: ctx.now,
      signal: ctx.signal,
    });
    throwUnlessDelivered(status, headers, ctx.now);
  },
};
