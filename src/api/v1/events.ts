/** /api/v1/events/:id and /api/v1/dead-letters: what happened to a delivery, and what could not be routed. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Problem } from '../../http/problem.js';
import type { DeadLetterStore } from '../../store/dead-letter-store.js';
import type { EventStore } from '../../store/event-store.js';
import { DeadLetterSchema, EventSchema, PageQuery, problemResponses } from '../schemas.js';

export const eventRoutes: FastifyPluginAsyncTypebox<{ store: EventStore & DeadLetterStore }> = async (
  app,
  { store },
) => {
  app.get(
    '/events/:id',
    {
      schema: {
        summary: 'One received event: its status, attempts, duplicates seen and the task/decision it led to',
        tags: ['events'],
        params: Type.Object({ id: Type.String() }),
        response: { 200: EventSchema, ...problemResponses },
      },
    },
    async (request) => {
      const event = await store.getEvent(request.principal.tenantId, request.params.id);
      if (!event) throw Problem.notFound('event-not-found', `No event ${request.params.id}.`);
      return event;
    },
  );

  app.get(
    '/dead-letters',
    {
      schema: {
        summary: 'Events that could not be routed (and, later, deliveries that could not be sent), newest first',
        tags: ['dead letters'],
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ items: Type.Array(DeadLetterSchema), next: Type.Union([Type.String(), Type.Null()]) }),
          ...problemResponses,
        },
      },
    },
    async (request) =>
      store.listDeadLetters(request.principal.tenantId, request.query.limit ?? 50, request.query.after),
  );
};
