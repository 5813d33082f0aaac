/**
 * GitHub: add the member's login (`handles.github`) to the issue's assignees, then comment
 * with the explanation and a hidden `<!-- switchyard:<idempotency key> -->` marker. On a retry
 * the comments are read first, so a comment whose answer was lost is not added twice. The
 * task's external id is `owner/repo#number` (the GitHub source's form).
 */
import { PermanentError } from '../../reliability/errors.js';
import { configOf, type NotifyLookup, type NotifyPayload, plainText, sendJson } from './http.js';
import type { OutboxTarget } from './types.js';

const ISSUE_KEY = /^([^/\s]+)\/([^#\s]+)#(\d+)$/;

export const githubMarker = (idempotencyKey: string) => `<!-- switchyard:${idempotencyKey} -->`;

export function githubTarget(lookup: NotifyLookup): OutboxTarget {
  return {
    async deliver(row, ctx) {
      const cfg = configOf(lookup, row, 'github');
      const p = row.payload as NotifyPayload;
      if (!p.githubLogin) throw new PermanentError(`member ${p.assignee} has no GitHub handle (handles.github)`);
      const m = ISSUE_KEY.exec(p.externalId);
      if (!m) throw new PermanentError(`${p.externalId} is not a GitHub issue key (owner/repo#number)`);
      const [, owner, repo, number] = m as unknown as [string, string, string, string];
      const issue = `${cfg.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues/${number}`;
      const call = { authorization: `Bearer ${cfg.token}`, row, ctx };
      await sendJson({
        ...call,
        label: 'GitHub assignees',
        method: 'POST',
        url: `${issue}/assignees`,
        body: { assignees: [p.githubLogin] },
      });
      const marker = githubMarker(row.idempotencyKey);
      if (row.attempts > 1) {
        const seen = await sendJson({
          ...call,
          label: 'GitHub comments',
          method: 'GET',
          url: `${issue}/comments?per_page=100`,
        });
        if (Array.isArray(seen) && seen.some((c: { body?: string }) => c.body?.includes(marker))) return;
      }
      await sendJson({
        ...call,
        label: 'GitHub comment',
        method: 'POST',
        url: `${issue}/comments`,
        body: { body: `${plainText(p)}\n\n${marker}` },
      });
    },
  };
}
