/**
 * Jira Cloud: set the issue's assignee to the member's account id (`handles.jira`), then add
 * a comment with the explanation (ADF), carrying the idempotency key as a comment property.
 * On a retry the comments are read first, so a comment whose answer was lost is not added twice.
 * Basic auth with the account e-mail and API token; the task's external id is the issue key.
 */
import { PermanentError } from '../../reliability/errors.js';
import { configOf, type NotifyLookup, type NotifyPayload, plainText, sendJson } from './http.js';
import type { OutboxTarget } from './types.js';

export const JIRA_COMMENT_PROPERTY = 'switchyard';

export function jiraComment(p: NotifyPayload, idempotencyKey: string) {
  const paragraphs = plainText(p).split('\n');
  return {
    body: {
      type: 'doc',
      version: 1,
      content: paragraphs.map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] })),
    },
    properties: [{ key: JIRA_COMMENT_PROPERTY, value: { idempotencyKey, decisionId: p.decisionId } }],
  };
}

export function jiraTarget(lookup: NotifyLookup): OutboxTarget {
  return {
    async deliver(row, ctx) {
      const cfg = configOf(lookup, row, 'jira');
      const p = row.payload as NotifyPayload;
      if (!p.jiraAccountId) throw new PermanentError(`member ${p.assignee} has no Jira handle (handles.jira)`);
      const issue = `${cfg.siteUrl}/rest/api/3/issue/${encodeURIComponent(p.externalId)}`;
      const auth = `Basic ${Buffer.from(`${cfg.email}:${cfg.apiToken}`).toString('base64')}`;
      const call = { authorization: auth, row, ctx };
      await sendJson({
        ...call,
        label: 'Jira assignee',
        method: 'PUT',
        url: `${issue}/assignee`,
        body: { accountId: p.jiraAccountId },
      });
      if (row.attempts > 1) {
        const seen = (await sendJson({
          ...call,
          label: 'Jira comments',
          method: 'GET',
          url: `${issue}/comment?orderBy=-created&maxResults=50&expand=properties`,
        })) as { comments?: unknown[] } | null;
        if (seen?.comments?.some((c) => JSON.stringify(c).includes(row.idempotencyKey))) return;
      }
      await sendJson({
        ...call,
        label: 'Jira comment',
        method: 'POST',
        url: `${issue}/comment`,
        body: jiraComment(p, row.idempotencyKey),
      });
    },
  };
}
