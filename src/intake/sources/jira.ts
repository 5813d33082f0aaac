/**
 * The Jira Cloud source: admin webhooks (Settings → System → WebHooks) registered with a Secret.
 *
 * Jira signs the raw body with HMAC-SHA256 and the webhook's Secret, in
 * `X-Hub-Signature: sha256=<hex>` (the WebSub `method=signature` form). Only admin webhooks
 * with a Secret are signed, and nothing else authenticates a delivery, so the header is
 * required. No timestamp is signed: replay protection is the dedupe on
 * `X-Atlassian-Webhook-Identifier`, which Jira keeps the same on every retry of a delivery.
 */

import { hexHmacMatches } from '../../crypto/hmac.js';
import { JSON_MEDIA_TYPE, parseJson } from './generic.js';
import { activeSecrets, type SourceAdapter } from './types.js';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

const scalar = (v: unknown): string | undefined =>
  (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined;

/**
 * `<webhookEvent>:<issue.id>:<timestamp>` from the body, for a delivery without the identifier
 * header (a proxy that drops it, a hand-made test): the event, the issue and the millisecond
 * Jira raised it at, which a retry repeats unchanged.
 */
export function jiraBodyDedupeKey(payload: unknown): string | undefined {
  const event = scalar(field(payload, 'webhookEvent'));
  const issueId = scalar(field(field(payload, 'issue'), 'id'));
  const timestamp = scalar(field(payload, 'timestamp'));
  return event && issueId && timestamp ? `${event}:${issueId}:${timestamp}` : undefined;
}

export const jira: SourceAdapter = {
  accepts: (contentType) => JSON_MEDIA_TYPE.test(contentType),
  verify(delivery, integration, now) {
    const header = delivery.header('x-hub-signature');
    if (!header) {
      return {
        ok: false,
        reason: 'missing_headers',
        detail:
          'A Jira delivery needs the X-Hub-Signature header (sha256=<hex HMAC-SHA256 of the body>). Jira sends it only ' +
          'for a webhook an administrator registered with a Secret: set the Secret to the one configured here.',
      };
    }
    const offered = SIGNATURE.exec(header.trim())?.[1];
    if (offered !== undefined && hexHmacMatches(offered, activeSecrets(integration, now), delivery.body))
      return { ok: true };
    return {
      ok: false,
      reason: 'bad_signature',
      detail:
        'X-Hub-Signature is not sha256=<hex HMAC-SHA256 of the body> under any active secret of this integration.',
    };
  },
  parse: parseJson,
  dedupeKey: (delivery, payload) => delivery.header('x-atlassian-webhook-identifier') || jiraBodyDedupeKey(payload),
  // The event name is in the body (webhookEvent); the headers are kept to trace a delivery and its retries.
  meta(delivery) {
    const meta: Record<string, string> = {};
    const keep = {
      identifier: 'x-atlassian-webhook-identifier',
      flow: 'x-atlassian-webhook-flow',
      retry: 'x-atlassian-webhook-retry',
    };
    for (const [key, header] of Object.entries(keep)) {
      const value = delivery.header(header);
      if (value) meta[key] = value;
    }
    return meta;
  },
};
