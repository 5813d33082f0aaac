/**
 * Pre-generated, validly signed generic webhooks (Standard Webhooks), one distinct event each:
 * unique webhook-id and unique payload key. Signed ahead of the timed window so the client's
 * CPU goes to sending.
 */
import { signStandardWebhook } from '../src/crypto/standard-webhooks.js';

export interface SignedRequest {
  id: string;
  timestamp: string;
  signature: string;
  body: Buffer;
}

/** Demo-shaped payloads that each route to an assignment under examples/demo.yaml. */
const TEMPLATES = [
  { kind: 'incident', severity: 'critical', tags: ['payments', 'checkout'], component: 'checkout', tier: 'growth' },
  { kind: 'bug', severity: 'high', tags: ['performance'], component: 'api', tier: 'growth' },
  { kind: 'question', severity: 'medium', tags: ['sso'], component: 'auth', tier: 'enterprise' },
  { kind: 'task', severity: 'low', tags: ['infra'], component: 'queue', tier: 'free', requested: 'dave' },
  { kind: 'bug', severity: 'medium', tags: ['payments'], component: 'billing', tier: 'free' },
] as const;

export function eventBody(key: string, n: number): string {
  const t = TEMPLATES[n % TEMPLATES.length] as (typeof TEMPLATES)[number];
  return JSON.stringify({
    type: 'ticket.created',
    timestamp: new Date().toISOString(),
    data: {
      key,
      summary: `Bench ticket ${key}: ${t.kind} on ${t.component}`,
      kind: t.kind,
      severity: t.severity,
      tags: t.tags,
      component: t.component,
      customer: { tier: t.tier },
      ...('requested' in t ? { requested_assignee: t.requested } : {}),
    },
  });
}

/** `count` requests whose ids and keys start with `prefix` (unique per run). */
export function signedRequests(key: Buffer, prefix: string, count: number): SignedRequest[] {
  const timestamp = Math.floor(Date.now() / 1000);
  const out: SignedRequest[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = `msg_${prefix}_${i}`;
    const body = Buffer.from(eventBody(`${prefix.toUpperCase()}-${i}`, i));
    out[i] = { id, timestamp: String(timestamp), signature: signStandardWebhook(key, id, timestamp, body), body };
  }
  return out;
}

/** undici's flat header list for one request. */
export function headersOf(r: SignedRequest): string[] {
  return [
    'content-type',
    'application/json',
    'webhook-id',
    r.id,
    'webhook-timestamp',
    r.timestamp,
    'webhook-signature',
    r.signature,
  ];
}
