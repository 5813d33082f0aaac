/**
 * Slack: `chat.postMessage` to the assignee (a DM by Slack user id) or to the tenant's channel,
 * with the explanation and the Acknowledge / Reassign controls the Slack source understands
 * (action ids `acknowledge` with the task key as value, `reassign` with it as block_id).
 * Slack answers HTTP 200 with `{ok:false,error}` for most failures: `ratelimited` and Slack's
 * own transient errors are retried, everything else (invalid_auth, channel_not_found, …) is
 * permanent. The idempotency key is in the message metadata, so a duplicate is detectable.
 */
import { PermanentError, RetryableError } from '../../reliability/errors.js';
import { configOf, type NotifyLookup, type NotifyPayload, sendJson } from './http.js';
import type { OutboxTarget } from './types.js';

const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export function slackMessage(p: NotifyPayload, idempotencyKey: string, channel: string) {
  const head = `*${p.externalId}* ${p.title === p.externalId ? '' : `_${p.title}_ `}is assigned to you`;
  const link = p.url ? ` (<${p.url}|open>)` : '';
  return {
    channel,
    text: `${p.externalId} ${p.title} is assigned to you: ${p.explanation}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${head}${link}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: p.explanation }] },
      {
        type: 'actions',
        block_id: p.externalId,
        elements: [
          {
            type: 'button',
            action_id: 'acknowledge',
            text: { type: 'plain_text', text: 'Acknowledge' },
            value: p.externalId,
          },
          { type: 'users_select', action_id: 'reassign', placeholder: { type: 'plain_text', text: 'Reassign to…' } },
        ],
      },
    ],
    metadata: { event_type: 'switchyard_task', event_payload: { idempotencyKey, taskKey: p.externalId } },
  };
}

export function slackTarget(lookup: NotifyLookup): OutboxTarget {
  return {
    async deliver(row, ctx) {
      const cfg = configOf(lookup, row, 'slack');
      const p = row.payload as NotifyPayload;
      const channel = p.slackUser ?? p.channel ?? cfg.channel;
      if (!channel)
        throw new PermanentError(`member ${p.assignee} has no Slack handle and notify.slack has no channel`);
      const answer = (await sendJson({
        label: 'Slack chat.postMessage',
        method: 'POST',
        url: `${cfg.apiUrl}/chat.postMessage`,
        authorization: `Bearer ${cfg.botToken}`,
        body: slackMessage(p, row.idempotencyKey, channel),
        row,
        ctx,
      })) as { ok?: boolean; error?: string } | null;
      if (answer?.ok === true) return;
      const error = answer?.error ?? 'no ok in the answer';
      if (TRANSIENT.has(error)) throw new RetryableError(`Slack chat.postMessage: ${error}`);
      throw new PermanentError(`Slack chat.postMessage: ${error} (to ${channel})`);
    },
  };
}
