/**
 * Jira Cloud deliveries for tests: the samples in test/fixtures/jira and a sender that signs
 * them the way Jira does. Atlassian publishes no signing library (unlike GitHub's
 * @octokit/webhooks-methods or the standardwebhooks package), so the signature is computed here
 * with node:crypto straight from the documented rule: `X-Hub-Signature: sha256=` + the hex
 * HMAC-SHA256 of the raw body, keyed with the webhook's Secret as UTF-8.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const JIRA_SAMPLES = [
  'issue_created',
  'issue_updated.priority',
  'issue_updated.assignee',
  'issue_deleted',
] as const;
export type JiraSample = (typeof JIRA_SAMPLES)[number];

/** The parts of an issue event tests edit (other keys, statuses, fields); the rest stays as in the sample. */
export interface JiraBody {
  timestamp: number;
  webhookEvent: string;
  issue_event_type_name?: string;
  user?: Record<string, unknown>;
  issue: { id: string; key: string; self: string; fields: Record<string, unknown> };
  changelog?: { id?: string; items: Record<string, unknown>[] };
  [key: string]: unknown;
}

/** A fresh copy of a sample, safe to edit. */
export function jiraSample(name: JiraSample): JiraBody {
  return JSON.parse(readFileSync(new URL(`../fixtures/jira/${name}.json`, import.meta.url), 'utf8')) as JiraBody;
}

export function jiraSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

export interface JiraDeliverOptions {
  /** X-Atlassian-Webhook-Identifier; default a fresh one; null to leave the header out. */
  identifier?: string | null;
  secret?: string;
  /** Leave X-Hub-Signature out (a webhook registered without a Secret). */
  unsigned?: boolean;
  /** Change the body after signing. */
  tamper?: (body: string) => string;
  retry?: number;
}

export async function deliverJira(url: string, payload: JiraBody | string, secret: string, o: JiraDeliverOptions = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-flow': 'Primary',
  };
  const identifier =
    o.identifier === undefined ? String(Date.now() * 1000 + Math.floor(Math.random() * 1000)) : o.identifier;
  if (identifier !== null) headers['x-atlassian-webhook-identifier'] = identifier;
  if (o.retry !== undefined) headers['x-atlassian-webhook-retry'] = String(o.retry);
  if (!o.unsigned) headers['x-hub-signature'] = jiraSignature(o.secret ?? secret, body);
  const res = await fetch(url, { method: 'POST', headers, body: o.tamper ? o.tamper(body) : body });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
    identifier,
  };
}

/** A unique issue key and id for a sample, so tests on one server do not share a task. */
export function withIssue(body: JiraBody, n: number): JiraBody {
  const key = `OPS-${n}`;
  body.issue.key = key;
  body.issue.id = String(20000 + n);
  body.issue.self = `https://acme-example.atlassian.net/rest/api/2/issue/${20000 + n}`;
  return body;
}
