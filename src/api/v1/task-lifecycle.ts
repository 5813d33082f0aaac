/** /api/v1/tasks/:id/{acknowledge,close,cancel,reopen} and /explain. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { describeExclusion, type ExclusionReason } from '../../core/index.js';
import { Problem } from '../../http/problem.js';
import type { TaskTransition } from '../../store/task-store.js';
import { problemResponses, TaskSchemaView } from '../schemas.js';
import { asProblem } from '../store-errors.js';
import { taskView } from '../views.js';
import { drainQuietly, type TaskRouteDeps } from './tasks.js';

const ACTIONS: { action: TaskTransition['action']; summary: string; frees: boolean }[] = [
  {
    action: 'acknowledge',
    summary: 'The assignee has seen the task and is on it (assigned → acknowledged)',
    frees: false,
  },
  { action: 'close', summary: 'Done: frees the assignee’s capacity, and the backlog is drained at once', frees: true },
  { action: 'cancel', summary: 'Not to be done: frees capacity like close', frees: true },
  {
    action: 'reopen',
    summary: 'Back into the backlog (closed or cancelled → queued), routed again at once',
    frees: true,
  },
];

export const taskLifecycleRoutes: FastifyPluginAsyncTypebox<TaskRouteDeps> = async (app, { store, drainer }) => {
  for (const { action, summary, frees } of ACTIONS) {
    app.post(
      `/tasks/:id/${action}`,
      {
        schema: {
          summary,
          description:
            'Repeating an action that already took effect changes nothing. 409 when the task is in a status the action cannot start from.',
          tags: ['tasks'],
          params: Type.Object({ id: Type.String() }),
          body: Type.Optional(
            Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
          ),
          response: { 200: Type.Object({ task: TaskSchemaView }), 409: problemResponses[422], ...problemResponses },
        },
      },
      async (request) => {
        const { tenantId, keyId } = request.principal;
        try {
          await store.transitionTask({
            tenantId,
            taskId: request.params.id,
            action,
            actor: `apikey:${keyId}`,
            ...(request.body?.reason ? { reason: request.body.reason } : {}),
            now: new Date().toISOString(),
          });
        } catch (e) {
          throw asProblem(e);
        }
        if (frees) await drainQuietly(drainer, tenantId, request.log);
        const task = await store.getTask(tenantId, request.params.id);
        return { task: taskView(task!) };
      },
    );
  }

  app.get(
    '/tasks/:id/explain',
    {
      schema: {
        summary:
          'Why the task is where it is: the current decision, every candidate with its score breakdown or exclusion reason',
        tags: ['tasks'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const task = await store.getTask(tenantId, request.params.id);
      if (!task) throw Problem.notFound('task-not-found', `No task ${request.params.id}.`);
      const decision = (await store.listDecisions(tenantId, task.id)).find((d) => d.id === task.currentDecisionId);
      if (!decision) throw Problem.notFound('decision-not-found', `Task ${task.id} has no decision yet.`);
      const detail = decision.detail as {
        candidates?: { excluded?: ExclusionReason }[];
        routesTried?: unknown[];
        escalated?: boolean;
      };
      return {
        taskId: task.id,
        externalId: task.externalId,
        status: task.status,
        decisionId: decision.id,
        kind: decision.kind,
        outcome: decision.outcome,
        assignee: decision.assignee,
        queue: decision.queue,
        route: decision.route,
        strategy: decision.strategy,
        escalated: detail.escalated ?? false,
        policyVersion: decision.policyVersion,
        explanation: decision.explanation,
        candidates: (detail.candidates ?? []).map((c) => ({
          ...c,
          ...(c.excluded ? { reason: describeExclusion(c.excluded) } : {}),
        })),
        routesTried: detail.routesTried ?? [],
        decidedAt: decision.createdAt,
      };
    },
  );
};
