/**
 * Alertmanager's webhook receiver (payload version 4): `Authorization: Bearer <token>` from the
 * receiver's `http_config.authorization`, a JSON body, one delivery per notification of an
 * alert group. Nothing in the request is signed or timestamped, so the token is the only
 * authentication and replay protection is the dedupe key below.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseJson } from './generic.js';
import { activeSecrets, type SourceAdapter } from './types.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** SHA-256 first: equal-length digests let timingSafeEqual compare tokens of any length. */
const digest = (value: Buffer) => createHash('sha256').update(value).digest();

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * sha256 of the group key, the group status and the sorted (fingerprint, startsAt, endsAt) of
 * its alerts. Alertmanager re-sends an unchanged group every repeat_interval (and each HA peer
 * sends its own copy); those hash alike and are answered as duplicates. An alert joining,
 * resolving (its endsAt is set) or firing anew (a new startsAt) changes the key.
 */
export function alertmanagerDedupeKey(payload: unknown): string | undefined {
  const groupKey = field(payload, 'groupKey');
  if (typeof groupKey !== 'string' || groupKey === '') return undefined;
  const alerts = field(payload, 'alerts');
  const tuples = (Array.isArray(alerts) ? alerts : [])
    .map((a) => [text(field(a, 'fingerprint')), text(field(a, 'startsAt')), text(field(a, 'endsAt'))])
    .map((t) => JSON.stringify(t))
    .sort();
  // JSON encoding keeps the parts apart: no separator can be forged by a label value.
  const canonical = JSON.stringify([groupKey, text(field(payload, 'status')), tuples]);
  return createHash('sha256').update(canonical).digest('hex');
}

export const alertmanager: SourceAdapter = {
  // Alertmanager always sends application/json.
  accepts: (contentType) => contentType === 'application/json',
  verify(delivery, integration, now) {
    const match = BEARER.exec(delivery.header('authorization') ?? '');
    if (!match) {
      return {
        ok: false,
        reason: 'missing_headers',
        detail:
          'Send the integration token as `Authorization: Bearer <token>` (http_config.authorization in alertmanager.yml).',
      };
    }
    const offered = digest(Buffer.from(match[1] as string, 'utf8'));
    // Compare against every active token without stopping early: timing says nothing about which matched.
    let matched = false;
    for (const secret of activeSecrets(integration, now)) {
      if (timingSafeEqual(offered, digest(secret.key))) matched = true;
    }
    return matched
      ? { ok: true }
      : { ok: false, reason: 'bad_signature', detail: 'The bearer token matches no active token of this integration.' };
  },
  parse: parseJson,
  dedupeKey: (_delivery, payload) => alertmanagerDedupeKey(payload),
  meta: () => ({}),
};
