/**
 * /api/v1/dead-letters/:id/retry and /discard. A delivery dead letter retried goes back to
 * the outbox as pending with its attempts reset (same idempotency key); discarding removes
 * the dead letter and leaves its row as it is. Both are audited. Event dead letters cannot be
 * retried yet (409). POST /dead-letters/retry retries delivery dead letters in bulk by filter.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Problem } from '../../http/problem.js';
import type { DeadLetterStore } from '../../store/dead-letter-store.js';
import { ProblemSchema, problemResponses } from '../schemas.js';

const Params = Type.Object({ id: Type.String() });
const notFound = (id: string) => Problem.notFound('dead-letter-not-found', `No dead letter ${id}.`);

export const deadLetterRoutes: FastifyPluginAsyncTypebox<{ store: DeadLetterStore; clock: () => Date }> = async (
  app,
  { store, clock },
) => {
  app.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        summary: 'Deliver a dead-lettered side effect again: back to pending, attempts reset (202)',
        description: '409 `event-retry-unsupported` for an event dead letter.',
        tags: ['dead letters'],
        params: Params,
        response: { 202: Type.Object({ status: Type.Literal('pending') }), ...problemResponses, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const { id } = request.params;
      const r = await store.retryDeadLetter({ tenantId, id, actor: `apikey:${keyId}`, now: clock().toISOString() });
      if (r === 'not_found') throw notFound(id);
      if (r === 'event')
        throw Problem.conflict(
          'event-retry-unsupported',
          `${id} is an event dead letter: events cannot be retried from the dead letters yet. Fix the cause and have the source send it again (a new delivery id), or discard it.`,
        );
      return reply.status(202).send({ status: 'pending' as const });
    },
  );

  app.post(
    '/dead-letters/retry',
    {
      schema: {
        summary: 'Retry delivery dead letters by filter (oldest first); each is audited like a single retry',
        description:
          '`target` matches a row target exactly or by name (`webhook` matches every `webhook:<subscription id>`).',
        tags: ['dead letters'],
        body: Type.Object(
          {
            kind: Type.Optional(Type.Literal('delivery')),
            target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ retried: Type.Integer() }), ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId, keyId } = request.principal;
      const { target, since, limit } = request.body ?? {};
      const retried = await store.retryDeadLetters({
        tenantId,
        target,
        since,
        limit: limit ?? 1000,
        actor: `apikey:${keyId}`,
        now: clock().toISOString(),
      });
      return { retried };
    },
  );

  app.post(
    '/dead-letters/:id/discard',
    {
      schema: {
        summary: 'Remove a dead letter (204); what it refers to stays as it is',
        tags: ['dead letters'],
        params: Params,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const { id } = request.params;
      const r = await store.discardDeadLetter({ tenantId, id, actor: `apikey:${keyId}`, now: clock().toISOString() });
      if (r === 'not_found') throw notFound(id);
      return reply.status(204).send(null);
    },
  );
};
