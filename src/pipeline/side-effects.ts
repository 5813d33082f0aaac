/**
 * The outbox rows a decision produces. Nothing is sent here: the outbox worker delivers them;
 * this only records, in the decision's own transaction, what is owed: subscribers always, and
 * for an assignment the notify targets (Slack; Jira or GitHub when the task came from there).
 */
import type { Tenant } from '../config/model.js';
import type { Decision, Task } from '../core/index.js';
import type { OutboxDraft } from '../store/outbox-store.js';

export function sideEffectsOf(
  decision: Decision,
  task: Task,
  ids: { taskId: string; decisionId: string },
  tenant: Pick<Tenant, 'roster' | 'notify' | 'integrations'>,
  integration?: string,
): OutboxDraft[] {
  const common = {
    taskId: ids.taskId,
    decisionId: ids.decisionId,
    externalId: task.externalId,
    title: task.title,
    route: decision.route,
    explanation: decision.explanation,
  };
  if (decision.outcome === 'queued') {
    return [{ topic: 'task.queued', target: 'subscribers', payload: { ...common, queue: decision.queue } }];
  }
  const drafts: OutboxDraft[] = [
    { topic: 'task.assigned', target: 'subscribers', payload: { ...common, assignee: decision.assignee } },
  ];
  if (decision.escalated) {
    drafts.push({
      topic: 'task.escalated',
      target: 'subscribers',
      payload: { ...common, assignee: decision.assignee },
    });
  }
  if (!decision.assignee) return drafts;
  const topic = decision.escalated ? 'task.escalated' : 'task.assigned';
  return [
    ...drafts,
    ...notifyEffects(tenant, {
      topic,
      taskId: ids.taskId,
      decisionId: ids.decisionId,
      externalId: task.externalId,
      title: task.title,
      url: task.url ?? null,
      assignee: decision.assignee,
      explanation: decision.explanation,
      integrationType: integrationTypeOf(tenant, integration),
    }),
  ];
}

export interface NotifySubject {
  topic: string;
  taskId: string;
  decisionId: string;
  externalId: string;
  title: string;
  url: string | null;
  /** The member id the task is now assigned to. */
  assignee: string;
  explanation: string;
  /** The type of integration the task came from (`jira`, `github`, …), if known. */
  integrationType?: string;
}

export function integrationTypeOf(tenant: Pick<Tenant, 'integrations'>, integration?: string): string | undefined {
  return integration === undefined ? undefined : tenant.integrations.get(integration)?.type;
}

/**
 * Slack (a DM to the assignee's handle, else the configured channel, else nothing), Jira and
 * GitHub (only for tasks from there, when configured). A missing Jira or GitHub handle still
 * writes the row: the target dead-letters it with the reason, so the gap is visible.
 */
export function notifyEffects(tenant: Pick<Tenant, 'roster' | 'notify'>, s: NotifySubject): OutboxDraft[] {
  const { integrationType, topic, ...base } = s;
  const handles = tenant.roster.members.get(s.assignee)?.handles ?? {};
  const notify = tenant.notify ?? {};
  const drafts: OutboxDraft[] = [];
  if (notify.slack) {
    const to = handles.slack
      ? { slackUser: handles.slack }
      : notify.slack.channel
        ? { channel: notify.slack.channel }
        : null;
    if (to) drafts.push({ topic, target: 'slack', payload: { ...base, ...to } });
  }
  if (notify.jira && integrationType === 'jira') {
    drafts.push({ topic, target: 'jira', payload: { ...base, jiraAccountId: handles.jira ?? null } });
  }
  if (notify.github && integrationType === 'github') {
    drafts.push({ topic, target: 'github', payload: { ...base, githubLogin: handles.github ?? null } });
  }
  return drafts;
}
