/**
 * POST /hooks/:tenant/:integration — the generic (Standard Webhooks) source.
 *
 * Order of checks: size and media type (fastify, before the handler) → tenant and
 * integration → signature over the raw bytes → JSON → dedupe key → durable insert → 202.
 * Nothing is written until every check passed; the 2xx is sent only after the row committed.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppConfig } from '../config/model.js';
import { PROBLEM_CONTENT_TYPE, Problem } from '../http/problem.js';
import type { Metrics } from '../observability/metrics.js';
import { dedupeKeyOf } from './dedupe.js';
import type { GroupCommitter } from './group-commit.js';
import { type VerifyFailure, verifyStandardWebhook } from './verify.js';

export const INTAKE_BODY_LIMIT = 1024 * 1024;

export interface IntakeDeps {
  config: AppConfig;
  committer: GroupCommitter;
  metrics: Metrics;
  clock?: () => Date;
}

const SIGNATURE_DETAIL: Record<VerifyFailure, string> = {
  missing_headers: 'The webhook-id, webhook-timestamp and webhook-signature headers are all required.',
  invalid_timestamp: 'webhook-timestamp must be whole seconds since the Unix epoch.',
  stale_timestamp: 'webhook-timestamp is more than 5 minutes in the past; a replay is refused.',
  future_timestamp: 'webhook-timestamp is more than 5 minutes in the future; check the sender clock.',
  bad_signature: 'No webhook-signature matches any active secret of this integration.',
};

export async function intakeRoutes(app: FastifyInstance, deps: IntakeDeps): Promise<void> {
  const clock = deps.clock ?? (() => new Date());
  // Keep the raw bytes: the signature is over them, not over a re-serialised object.
  app.removeAllContentTypeParsers();
  const keepRaw = (_req: unknown, body: string | Buffer, done: (err: null, body: Buffer) => void) =>
    done(null, body as Buffer);
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: INTAKE_BODY_LIMIT }, keepRaw);
  app.addContentTypeParser(
    /^application\/[a-z0-9.+-]+\+json$/,
    { parseAs: 'buffer', bodyLimit: INTAKE_BODY_LIMIT },
    keepRaw,
  );

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
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        return reject(
          'empty_body',
          Problem.badRequest('malformed-json', 'The body is empty; a JSON document was expected.'),
        );
      }
      const header = (name: string) => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const verdict = verifyStandardWebhook(
        body,
        { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
        integration.secrets,
        receivedAt,
      );
      if (!verdict.ok) {
        return reject(
          verdict.reason,
          Problem.unauthorized(verdict.reason.replaceAll('_', '-'), SIGNATURE_DETAIL[verdict.reason]),
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (e) {
        return reject(
          'malformed_json',
          Problem.badRequest('malformed-json', `The body is not valid JSON: ${(e as Error).message}`),
        );
      }
      const dedupeKey = dedupeKeyOf(payload, integration.dedupePath, verdict.webhookId);
      if (dedupeKey === undefined) {
        return reject(
          'missing_dedupe_key',
          Problem.unprocessable(
            'missing-dedupe-key',
            `The payload has no string or number at ${integration.dedupePath?.join('.')}, which this integration dedupes on.`,
          ),
        );
      }
      let result: Awaited<ReturnType<GroupCommitter['submit']>>;
      try {
        result = await deps.committer.submit({
          tenantId,
          integration: integrationId,
          dedupeKey,
          receivedAt: receivedAt.toISOString(),
          body: body.toString('utf8'),
        });
      } catch (e) {
        request.log.error({ err: e }, 'event insert failed');
        const problem = Problem.unavailable('store-unavailable', 'The event could not be stored; retry later.');
        return reply.status(503).header('retry-after', '5').type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
      }
      const labels = { tenant: tenantId, integration: integrationId };
      if (result.status === 'duplicate') {
        deps.metrics.eventsDuplicate.inc(labels);
        return reply.status(200).send({ status: 'duplicate', eventId: result.id });
      }
      deps.metrics.eventsReceived.inc(labels);
      return reply.status(202).send({ status: 'accepted', eventId: result.id });
    },
  );
}
