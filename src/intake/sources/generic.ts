/** The generic source: Standard Webhooks signatures, JSON bodies, dedupe on webhook-id or a payload path. */

import { TOLERANCE_SECONDS, verifyStandardWebhook } from '../../crypto/standard-webhooks.js';
import { dedupeKeyOf } from '../dedupe.js';
import type { Delivery, SourceAdapter, VerifyFailure } from './types.js';

export const JSON_MEDIA_TYPE = /^application\/(json|[a-z0-9.+-]+\+json)$/;

const DETAIL: Record<VerifyFailure, string> = {
  missing_headers: 'The webhook-id, webhook-timestamp and webhook-signature headers are all required.',
  invalid_timestamp: 'webhook-timestamp must be whole seconds since the Unix epoch.',
  stale_timestamp: `webhook-timestamp is more than ${TOLERANCE_SECONDS / 60} minutes in the past; a replay is refused.`,
  future_timestamp: `webhook-timestamp is more than ${TOLERANCE_SECONDS / 60} minutes in the future; check the sender clock.`,
  bad_signature: 'No webhook-signature matches any active secret of this integration.',
};

export function parseJson(delivery: Delivery) {
  try {
    return { ok: true as const, payload: JSON.parse(delivery.body.toString('utf8')) as unknown };
  } catch (e) {
    return { ok: false as const, detail: `The body is not valid JSON: ${(e as Error).message}` };
  }
}

export const generic: SourceAdapter = {
  accepts: (contentType) => JSON_MEDIA_TYPE.test(contentType),
  verify(delivery, integration, now) {
    const verdict = verifyStandardWebhook(
      delivery.body,
      {
        id: delivery.header('webhook-id'),
        timestamp: delivery.header('webhook-timestamp'),
        signature: delivery.header('webhook-signature'),
      },
      integration.secrets,
      now,
    );
    return verdict.ok ? { ok: true } : { ok: false, reason: verdict.reason, detail: DETAIL[verdict.reason] };
  },
  parse: parseJson,
  dedupeKey: (delivery, payload, integration) =>
    dedupeKeyOf(payload, integration.dedupePath, delivery.header('webhook-id') ?? ''),
  meta: () => ({}),
};
