/**
 * One JSON request from a notify target (Slack, Jira, GitHub) with the row's idempotency key,
 * classified like a webhook (src/reliability/http-outcome.ts): 2xx ok; 408, 429, 5xx,
 * connection errors and timeouts retryable (Retry-After honoured); any other status permanent. Credentials travel only in the headers
 * given here and never appear in an error message.
 */
import type { NotifyConfig } from '../../config/model.js';
import { PermanentError, RetryableError } from '../../reliability/errors.js';
import { causeOf, httpOutcome, outcomeError } from '../../reliability/http-outcome.js';
import type { ClaimedDelivery } from '../../store/outbox-store.js';
import type { DeliveryContext } from './types.js';

/** The tenant's `notify:` config, read at delivery time. */
export type NotifyLookup = (tenantId: string) => NotifyConfig | undefined;

/** What a notify row carries (src/pipeline/side-effects.ts `notifyEffects`). */
export interface NotifyPayload {
  taskId: string;
  decisionId: string;
  externalId: string;
  title: string;
  url: string | null;
  assignee: string;
  explanation: string;
  slackUser?: string;
  channel?: string;
  jiraAccountId?: string | null;
  githubLogin?: string | null;
}

export interface JsonRequest {
  /** Names the receiver in error messages, e.g. `Jira assignee`. */
  label: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  authorization: string;
  body?: unknown;
  row: ClaimedDelivery;
  ctx: DeliveryContext;
}

/** Send; resolve with the parsed JSON answer (or null) when 2xx, else throw the failure's class. */
export async function sendJson(r: JsonRequest): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(r.url, {
      method: r.method,
      headers: {
        accept: 'application/json',
        authorization: r.authorization,
        ...(r.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'idempotency-key': r.row.idempotencyKey,
        'user-agent': 'Switchyard-Notify/1',
      },
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
      redirect: 'manual',
      signal: r.ctx.signal,
    });
  } catch (e) {
    const why = r.ctx.signal.aborted ? 'no answer before the timeout' : `connection failed: ${causeOf(e)}`;
    throw new RetryableError(`${r.label}: ${why}`);
  }
  const text = await res.text().catch(() => '');
  const outcome = httpOutcome(res.status, res.headers, r.ctx.now);
  if (outcome.kind !== 'success') {
    const detail = text ? ` (${text.slice(0, 200).replace(/\s+/g, ' ')})` : '';
    throw outcomeError(outcome, `${r.label}: receiver answered ${res.status}${detail}`);
  }
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

/** The tenant's config for one target, or a permanent failure naming what is missing. */
export function configOf<K extends keyof NotifyConfig>(
  lookup: NotifyLookup,
  row: ClaimedDelivery,
  key: K,
): NonNullable<NotifyConfig[K]> {
  const cfg = lookup(row.tenantId)?.[key];
  if (!cfg) throw new PermanentError(`notify.${key} is not configured for tenant ${row.tenantId}`);
  return cfg as NonNullable<NotifyConfig[K]>;
}

/** The explanation with the task's link, as plain text. */
export function plainText(p: NotifyPayload): string {
  return `${p.externalId} (${p.title}) was assigned by Switchyard: ${p.explanation}${p.url ? `\n${p.url}` : ''}`;
}
