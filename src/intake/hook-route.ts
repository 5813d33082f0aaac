/**
 * POST /hooks/:tenant/:integration — every source, through its adapter (src/intake/sources).
 *
 * Order of checks: size (fastify, before the handler) → tenant and integration → media type
 * → signature or token over the raw bytes → parse → dedupe key → durable insert → 202.
 * Nothing is written until every check passed; the 2xx is sent only after the row committed.
 * A source with a `reply` (Slack) is answered 200 with the body it makes instead of 202.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppConfig } from '../config/model.js';
import { PROBLEM_CONTENT_TYPE, Problem } from '../http/problem.js';
import { dashed } from '../http/problems.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventStore } from '../store/event-store.js';
import type { SecretStore } from '../store/secret-store.js';
import type { TaskStore } from '../store/task-store.js';
import type { GroupCommitter } from './group-commit.js';
import { secretProviderFor } from './secret-provider.js';
import { type Delivery, SOURCES } from './sources/index.js';

export const INTAKE_BODY_LIMIT = 1024 * 1024;

export interface IntakeDeps {
  config: AppConfig;
  committer: GroupCommitter;
  metrics: Metrics;
  /** Rotated secrets, and what sources that answer synchronously read (see SourceAdapter.reply). */
  store: SecretStore & EventStore & TaskStore;
  clock?: () => Date;
}

export async function intakeRoutes(app: FastifyInstance, deps: IntakeDeps): Promise<void> {
  const clock = deps.clock ?? (() => new Date());
  // Keep the raw bytes: signatures are over them, not over a re-serialised object. Which media
  // types a source accepts is the adapter's call (415 otherwise).
  const keepRaw = (_req: unknown, body: string | Buffer, done: (err: null, body: Buffer) => void) =>
    done(null, body as Buffer);
  for (const type of ['application/json', /^application\/[a-z0-9.+-]+\+json$/, 'application/x-www-form-urlencoded']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: INTAKE_BODY_LIMIT }, keepRaw);
  }

  app.addHook('onError', async (_req, _reply, error) => {
    const code = (error as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') deps.metrics.eventsRejected.inc({ reason: 'too_large' });
    else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') deps.metrics.eventsRejected.inc({ reason: 'media_type' });
  });

  app.post<{ Params: { tenant: string; integration: string } }>(
    '/hooks/:tenant/:integration',
    { bodyLimit: INTAKE_BODY_LIMIT, schema: { hide: true } },
    async (request, reply) => {
      const receivedAt = clock();
      const reject = (reason: string, problem: Problem): FastifyReply => {
        deps.metrics.eventsRejected.inc({ reason });
        return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
      };
      const { tenant: tenantId, integration: integrationId } = request.params;
      const tenant = deps.config.tenants.get(tenantId);
      const integration = tenant?.integrations.get(integrationId);
      if (!tenant || !integration) {
        return reject(
          'unknown_integration',
          Problem.notFound('unknown-integration', `No integration "${integrationId}" for tenant "${tenantId}".`),
        );
      }
      const adapter = SOURCES[integration.type];
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!adapter.accepts(contentType)) {
        return reject(
          'media_type',
          Problem.unsupportedMediaType(
            'unsupported-media-type',
            `A ${integration.type} integration does not accept ${contentType || 'a body without a content type'}.`,
          ),
        );
      }
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        return reject(
          'empty_body',
          Problem.badRequest('malformed-json', 'The body is empty; a JSON document was expected.'),
        );
      }
      const delivery: Delivery = {
        body,
        contentType,
        header: (name) => {
          const v = request.headers[name];
          return Array.isArray(v) ? v[0] : v;
        },
      };
      // The config's secrets plus the rotated ones in the store (cached a few seconds; see secret-provider.ts).
      let secrets: Awaited<ReturnType<ReturnType<typeof secretProviderFor>['for']>>;
      try {
        secrets = await secretProviderFor(deps.store).for(tenantId, integration);
      } catch (e) {
        request.log.error({ err: e }, 'reading the integration secrets failed');
        const problem = Problem.unavailable(
          'store-unavailable',
          'The integration secrets could not be read; retry later.',
        );
        return reply.status(503).header('retry-after', '5').type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
      }
      const verdict = adapter.verify(delivery, { ...integration, secrets }, receivedAt);
      if (!verdict.ok) {
        return reject(verdict.reason, Problem.unauthorized(dashed(verdict.reason), verdict.detail));
      }
      const parsed = adapter.parse(delivery);
      if (!parsed.ok) return reject('malformed_json', Problem.badRequest('malformed-json', parsed.detail));
      const replyContext = { tenant, store: deps.store, clock };
      const direct = adapter.reply?.direct?.(parsed.payload, replyContext);
      if (direct) return reply.status(200).send(direct);
      const dedupeKey = adapter.dedupeKey(delivery, parsed.payload, integration);
      if (dedupeKey === undefined) {
        const where = integration.dedupePath ? `at ${integration.dedupePath.join('.')}` : 'that this source dedupes on';
        return reject(
          'missing_dedupe_key',
          Problem.unprocessable('missing-dedupe-key', `The delivery has no string or number ${where}.`),
        );
      }
      let result: Awaited<ReturnType<GroupCommitter['submit']>>;
      try {
        result = await deps.committer.submit({
          tenantId,
          integration: integrationId,
          dedupeKey,
          receivedAt: receivedAt.toISOString(),
          // The pipeline reads the stored body as JSON: a form delivery (GitHub's other content
          // type) is stored as the JSON document it carries; a JSON one byte for byte.
          body:
            contentType === 'application/x-www-form-urlencoded'
              ? JSON.stringify(parsed.payload)
              : body.toString('utf8'),
          meta: adapter.meta(delivery),
        });
      } catch (e) {
        request.log.error({ err: e }, 'event insert failed');
        const problem = Problem.unavailable('store-unavailable', 'The event could not be stored; retry later.');
        return reply.status(503).header('retry-after', '5').type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
      }
      const labels = { tenant: tenantId, integration: integrationId };
      const answer = adapter.reply?.afterAccepted;
      if (result.status === 'duplicate') {
        deps.metrics.eventsDuplicate.inc(labels);
        if (answer) return reply.status(200).send(await answer(parsed.payload, result.id, replyContext));
        return reply.status(200).send({ status: 'duplicate', eventId: result.id });
      }
      deps.metrics.eventsReceived.inc(labels);
      if (answer) return reply.status(200).send(await answer(parsed.payload, result.id, replyContext));
      return reply.status(202).send({ status: 'accepted', eventId: result.id });
    },
  );
}
