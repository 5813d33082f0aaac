/**
 * The target registry. A row's target is `<name>` or `<name>:<detail>` (`webhook:<subscriptionId>`).
 * Rows for a target not listed are not claimed: they stay pending, owed, rather than failing.
 * `TARGETS` needs no config; `outboxTargets(config)` adds Slack, Jira and GitHub, which read
 * the tenant's `notify:` config at delivery time (the server uses it).
 */
import type { AppConfig } from '../../config/model.js';
import { githubTarget } from './github.js';
import type { NotifyLookup } from './http.js';
import { jiraTarget } from './jira.js';
import { slackTarget } from './slack.js';
import { subscribersTarget } from './subscribers.js';
import type { OutboxTarget } from './types.js';
import { webhookTarget } from './webhook.js';

export const TARGETS: Record<string, OutboxTarget> = {
  subscribers: subscribersTarget,
  webhook: webhookTarget,
};

export function notifyTargets(lookup: NotifyLookup): Record<string, OutboxTarget> {
  return { slack: slackTarget(lookup), jira: jiraTarget(lookup), github: githubTarget(lookup) };
}

export function outboxTargets(config: Pick<AppConfig, 'tenants'>): Record<string, OutboxTarget> {
  return { ...TARGETS, ...notifyTargets((tenantId) => config.tenants.get(tenantId)?.notify) };
}

export function targetName(target: string): string {
  const colon = target.indexOf(':');
  return colon < 0 ? target : target.slice(0, colon);
}
