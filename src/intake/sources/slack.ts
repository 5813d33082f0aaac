/**
 * The Slack source: slash commands (`/assign`, `/who-is-on-call`) and interactive buttons
 * (block_actions), both sent as application/x-www-form-urlencoded to one Request URL.
 *
 * Slack signs `v0:<X-Slack-Request-Timestamp>:<raw body>` with HMAC-SHA256 and the app's
 * Signing Secret, in `X-Slack-Signature: v0=<hex>`. The timestamp must be within 5 minutes of
 * now (a replay is refused); within the window, a repeat is a duplicate of its trigger_id.
 * Slack shows the answer to the person who typed the command, and waits 3 seconds for it:
 * see slack-reply.ts.
 */

import { hexHmacMatches } from '../../crypto/hmac.js';
import { TOLERANCE_SECONDS } from '../../crypto/standard-webhooks.js';
import { slackReply } from './slack-reply.js';
import { activeSecrets, type Delivery, type Parsed, type SourceAdapter, type Verified } from './types.js';

const FORM = 'application/x-www-form-urlencoded';
const SIGNATURE = /^v0=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,12}$/;

export type SlackKind = 'command' | 'interaction';

/** Which of Slack's two form shapes this is: an interaction carries its JSON in `payload`. */
function kindOf(form: URLSearchParams): SlackKind {
  return form.has('payload') ? 'interaction' : 'command';
}

export function verifySlack(
  delivery: Delivery,
  secrets: readonly { key: Buffer }[],
  now: Date,
  tolerance = TOLERANCE_SECONDS,
): Verified {
  const timestamp = delivery.header('x-slack-request-timestamp');
  const signature = delivery.header('x-slack-signature');
  if (!timestamp || !signature) {
    return {
      ok: false,
      reason: 'missing_headers',
      detail: 'A Slack request needs the X-Slack-Request-Timestamp and X-Slack-Signature headers.',
    };
  }
  if (!TIMESTAMP.test(timestamp)) {
    return {
      ok: false,
      reason: 'invalid_timestamp',
      detail: 'X-Slack-Request-Timestamp must be whole seconds since the Unix epoch.',
    };
  }
  const skew = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (skew > tolerance) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      detail: `X-Slack-Request-Timestamp is more than ${tolerance / 60} minutes in the past; a replay is refused.`,
    };
  }
  if (skew < -tolerance) {
    return {
      ok: false,
      reason: 'future_timestamp',
      detail: `X-Slack-Request-Timestamp is more than ${tolerance / 60} minutes in the future; check the clock.`,
    };
  }
  const offered = SIGNATURE.exec(signature)?.[1];
  if (offered !== undefined && hexHmacMatches(offered, secrets, delivery.body, `v0:${timestamp}:`)) return { ok: true };
  return {
    ok: false,
    reason: 'bad_signature',
    detail:
      'X-Slack-Signature is not v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>"> under any active signing secret of this integration.',
  };
}

function parseSlack(delivery: Delivery): Parsed {
  const form = new URLSearchParams(delivery.body.toString('utf8'));
  // `token` is Slack's deprecated verification token: not needed (the signature is), not stored.
  form.delete('token');
  if (kindOf(form) === 'command') {
    if (!form.get('command')) return { ok: false, detail: 'The form is neither a slash command nor a payload.' };
    return { ok: true, payload: { ...Object.fromEntries(form), kind: 'command' } };
  }
  try {
    const payload = JSON.parse(form.get('payload') ?? '') as unknown;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return { ok: false, detail: "The form's payload field is not a JSON object." };
    }
    const { token: _token, ...rest } = payload as Record<string, unknown>;
    return { ok: true, payload: { ...rest, kind: 'interaction' } };
  } catch (e) {
    return { ok: false, detail: `The form's payload field is not valid JSON: ${(e as Error).message}` };
  }
}

interface Keyed {
  trigger_id?: unknown;
  container?: { message_ts?: unknown };
  actions?: { action_ts?: unknown }[];
}

export const slack: SourceAdapter = {
  accepts: (contentType) => contentType === FORM,
  verify: (delivery, integration, now) => verifySlack(delivery, activeSecrets(integration, now), now),
  parse: parseSlack,
  dedupeKey(_delivery, payload) {
    const p = payload as Keyed;
    if (typeof p.trigger_id === 'string' && p.trigger_id !== '') return p.trigger_id;
    const ts = p.container?.message_ts;
    const at = p.actions?.[0]?.action_ts;
    return typeof ts === 'string' && typeof at === 'string' ? `${ts}:${at}` : undefined;
  },
  meta: (delivery) => ({ kind: kindOf(new URLSearchParams(delivery.body.toString('utf8'))) }),
  reply: slackReply,
};
