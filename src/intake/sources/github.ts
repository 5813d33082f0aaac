/**
 * The GitHub source: repository and organisation webhooks (issues, pull_request, ping).
 *
 * GitHub signs the raw body with HMAC-SHA256 and the webhook's Secret, in
 * `X-Hub-Signature-256: sha256=<hex>`. It signs no timestamp, so a captured delivery stays
 * valid forever: replay protection is the dedupe on `X-GitHub-Delivery` (a GUID per delivery,
 * kept by GitHub's own "Redeliver"), which answers any repeat 200 duplicate and acts on it once.
 * A webhook can send JSON or a form with the JSON in a `payload` field; the signature is over
 * the bytes as sent either way.
 */

import { hexHmacMatches } from '../../crypto/hmac.js';
import { JSON_MEDIA_TYPE, parseJson } from './generic.js';
import { activeSecrets, type Delivery, type Parsed, type SourceAdapter } from './types.js';

const FORM = 'application/x-www-form-urlencoded';
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const REQUIRED_HEADERS = ['X-Hub-Signature-256', 'X-GitHub-Event', 'X-GitHub-Delivery'] as const;

function parseGithub(delivery: Delivery): Parsed {
  if (delivery.contentType !== FORM) return parseJson(delivery);
  const payload = new URLSearchParams(delivery.body.toString('utf8')).get('payload');
  if (payload === null) return { ok: false, detail: 'The form body has no "payload" field carrying the JSON.' };
  try {
    return { ok: true, payload: JSON.parse(payload) as unknown };
  } catch (e) {
    return { ok: false, detail: `The form's payload field is not valid JSON: ${(e as Error).message}` };
  }
}

export const github: SourceAdapter = {
  accepts: (contentType) => contentType === FORM || JSON_MEDIA_TYPE.test(contentType),
  verify(delivery, integration, now) {
    const missing = REQUIRED_HEADERS.filter((name) => !delivery.header(name.toLowerCase()));
    if (missing.length > 0) {
      const hint = missing.includes('X-Hub-Signature-256')
        ? ' GitHub sends X-Hub-Signature-256 only when the webhook has a Secret: set the one configured here.'
        : '';
      return {
        ok: false,
        reason: 'missing_headers',
        detail: `A GitHub delivery needs the ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}.${hint}`,
      };
    }
    const offered = SIGNATURE.exec(delivery.header('x-hub-signature-256') ?? '')?.[1];
    if (offered !== undefined && hexHmacMatches(offered, activeSecrets(integration, now), delivery.body))
      return { ok: true };
    return {
      ok: false,
      reason: 'bad_signature',
      detail:
        'X-Hub-Signature-256 is not sha256=<hex HMAC-SHA256 of the body> under any active secret of this integration.',
    };
  },
  parse: parseGithub,
  // verify already required the header, so this is never undefined for a verified delivery.
  dedupeKey: (delivery) => delivery.header('x-github-delivery'),
  meta(delivery) {
    const hookId = delivery.header('x-github-hook-id');
    return {
      event: delivery.header('x-github-event') ?? '',
      delivery: delivery.header('x-github-delivery') ?? '',
      ...(hookId ? { hookId } : {}),
    };
  },
};
