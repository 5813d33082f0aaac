/** /api/v1/tasks: find tasks, read one with its decision history, reassign (override). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import type { AppConfig } from '../../config/model.js';
import { Problem } from '../../http/problem.js';
import type { BacklogDrainer } from '../../pipeline/backlog.js';
import { integrationTypeOf, notifyEffects } from '../../pipeline/side-effects.js';
import type { PipelineWrites } from '../../store/pipeline-store.js';
import type { TaskStore } from '../../store/task-store.js';
import { DecisionSchema, PageQuery, problemResponses, TaskDetailSchema, TaskSchemaView } from '../schemas.js';
import { asProblem } from '../store-errors.js';
import { decisionView, taskView } from '../views.js';

export interface TaskRouteDeps {
  /** Tasks, and the member loads and away flags (readSnapshot) the roster shows. */
  store: TaskStore & PipelineWrites;
  config: AppConfig;
  drainer: BacklogDrainer;
}

/** A failed drain must not fail the request that freed capacity: the timer drains again. */
export async function drainQuietly(drainer: BacklogDrainer, tenantId: string, log: FastifyBaseLogger): Promise<void> {
  try {
    await drainer.drain(tenantId);
  } catch (e) {
    log.error({ err: e, tenant: tenantId }, 'draining the backlog failed');
  }
}

export const taskRoutes: FastifyPluginAsyncTypebox<TaskRouteDeps> = async (app, { store, config, drainer }) => {
  app.get(
    '/tasks',
    {
      schema: {
        summary: 'List tasks, newest first',
        description: 'Filter by the source key (`externalId`), `status` (assigned, queued) or `assignee`.',
        tags: ['tasks'],
        querystring: Type.Object({
          externalId: Type.Optional(Type.String()),
          status: Type.Optional(Type.String()),
          assignee: Type.Optional(Type.String()),
          ...PageQuery,
        }),
        response: {
          200: Type.Object({ items: Type.Array(TaskSchemaView), next: Type.Union([Type.String(), Type.Null()]) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const tenantId = request.principal.tenantId;
      const { limit = 50, ...filter } = request.query;
      const page = await store.listTasks(tenantId, { ...filter, limit });
      const current = new Map(
        (
          await store.getDecisions(
            tenantId,
            page.items.map((t) => t.currentDecisionId),
          )
        ).map((d) => [d.id, d]),
      );
      const items = page.items.map((t) => taskView(t, current.get(t.currentDecisionId)));
      return { items, next: page.next };
    },
  );

  app.get(
    '/tasks/:id',
    {
      schema: {
        summary:
          'A task with its current decision, its explanation, the full decision history and the deliveries they owe',
        tags: ['tasks'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: TaskDetailSchema, ...problemResponses },
      },
    },
    async (request) => {
      const tenantId = request.principal.tenantId;
      const task = await store.getTask(tenantId, request.params.id);
      if (!task) throw Problem.notFound('task-not-found', `No task ${request.params.id}.`);
      const decisions = await store.listDecisions(tenantId, task.id);
      return {
        ...taskView(
          task,
          decisions.find((d) => d.id === task.currentDecisionId),
        ),
        decisions: decisions.map(decisionView),
        deliveries: await store.listDeliveries(
          tenantId,
          decisions.map((d) => d.id),
        ),
      };
    },
  );

  app.post(
    '/tasks/:id/reassign',
    {
      schema: {
        summary: 'Reassign a task to a member or a queue (recorded as an override; the original decision is kept)',
        tags: ['tasks'],
        params: Type.Object({ id: Type.String() }),
        body: Type.Object(
          {
            assignee: Type.Optional(Type.String({ minLength: 1 })),
            queue: Type.Optional(Type.String({ minLength: 1 })),
            reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why; kept in the audit trail' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ task: TaskSchemaView, decision: DecisionSchema }), ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId, keyId } = request.principal;
      const tenant = config.tenants.get(tenantId);
      const { assignee, queue, reason } = request.body;
      if ((assignee === undefined) === (queue === undefined)) {
        throw Problem.unprocessable('assignee-or-queue', 'Give exactly one of `assignee` or `queue`.');
      }
      if (!tenant) throw Problem.notFound('tenant-not-found', `Tenant ${tenantId} is not in the running config.`);
      if (assignee !== undefined && !tenant.roster.members.has(assignee)) {
        throw Problem.unprocessable('unknown-member', `No member "${assignee}" in tenant ${tenantId}.`);
      }
      try {
        const decision = await store.commitOverride({
          tenantId,
          taskId: request.params.id,
          assignee: assignee ?? null,
          queue: queue ?? null,
          reason: reason.trim(),
          actor: `apikey:${keyId}`,
          policyVersion: tenant.policy.version,
          now: new Date().toISOString(),
          notify: (o) =>
            notifyEffects(tenant, {
              ...o,
              topic: 'task.reassigned',
              integrationType: integrationTypeOf(tenant, o.integration),
            }),
        });
        // The previous assignee may have room now: let the backlog use it.
        await drainQuietly(drainer, tenantId, request.log);
        const task = await store.getTask(tenantId, request.params.id);
        return { task: taskView(task!), decision: decisionView(decision) };
      } catch (e) {
        throw asProblem(e);
      }
    },
  );
};
