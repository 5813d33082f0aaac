/**
 * The outbox rows a decision produces. Nothing is sent here: the outbox worker (a later
 * stage) delivers them; this only records, in the decision's own transaction, what is owed.
 */
import type { Decision, Roster, Task } from '../core/index.js';
import type { OutboxDraft } from '../store/store.js';

export function sideEffectsOf(
  decision: Decision,
  task: Task,
  ids: { taskId: string; decisionId: string },
  roster: Roster,
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
  const slack = decision.assignee ? roster.members.get(decision.assignee)?.handles.slack : undefined;
  if (slack)
    drafts.push({
      topic: 'task.assigned',
      target: 'slack',
      payload: { ...common, assignee: decision.assignee, slackUser: slack },
    });
  return drafts;
}
