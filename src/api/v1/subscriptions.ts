/**
 * /api/v1/subscriptions: outbound webhooks. Each subscription has a URL, the topics it wants
 * ('*' = all) and a `whsec_` signing secret, shown once at creation and stored encrypted
 * under SWITCHYARD_SECRET_KEY (503 `secret-key-not-set` without it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { encryptSecret, generateSecret, SecretKeyError, secretKeyFromEnv } from '../../crypto/secret-box.js';
import { Problem } from '../../http/problem.js';
import { pingSubscription, subscriptionSecretWhere } from '../../outbox/targets/webhook.js';
import { RetryableError } from '../../reliability/errors.js';
import { newId } from '../../store/ids.js';
import type { SubscriptionRow, SubscriptionStore } from '../../store/subscription-store.js';
import { ProblemSchema, problemResponses } from '../schemas.js';
import { keyProblem } from './integration-secrets.js';

const PING_TIMEOUT_MS = 10_000;

const Topic = Type.String({ minLength: 1, maxLength: 100, pattern: '^(\\*|[a-z][a-z0-9_.-]*)$' });

const CreateBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL that receives the POSTs' }),
    events: Type.Array(Topic, {
      minItems: 1,
      maxItems: 50,
      description: "Topics (task.assigned, task.queued, task.reassigned, delivery.dead…); '*' = all",
    }),
  },
  { additionalProperties: false },
);

const SubscriptionView = Type.Object(
  { id: Type.String(), url: Type.String(), events: Type.Array(Type.String()), createdAt: Type.String() },
  { additionalProperties: false },
);

const Created = Type.Object(
  {
    ...SubscriptionView.properties,
    secret: Type.String({ description: 'The `whsec_` signing secret. Shown this once: it cannot be read back.' }),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Type.String() });

const view = (s: SubscriptionRow) => ({ id: s.id, url: s.url, events: s.events, createdAt: s.createdAt });

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw Problem.unprocessable('invalid-url', `${JSON.stringify(raw)} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw Problem.unprocessable('invalid-url', `Subscription URLs must be http or https, not ${url.protocol}`);
  return url.toString();
}

export const subscriptionRoutes: FastifyPluginAsyncTypebox<{ store: SubscriptionStore; clock: () => Date }> = async (
  app,
  { store, clock },
) => {
  const find = async (tenantId: string, id: string) => {
    const sub = await store.getSubscription(tenantId, id);
    if (!sub) throw Problem.notFound('subscription-not-found', `No subscription ${id}.`);
    return sub;
  };

  app.post(
    '/subscriptions',
    {
      schema: {
        summary: 'Subscribe a URL to topics; answers 201 with the signing secret, shown once',
        description:
          '422 `invalid-url` for a URL that is not http(s). 503 `secret-key-not-set` without SWITCHYARD_SECRET_KEY.',
        tags: ['subscriptions'],
        body: CreateBody,
        response: { 201: Created, ...problemResponses, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const url = checkUrl(request.body.url);
      const events = [...new Set(request.body.events)];
      let key: Buffer;
      try {
        key = secretKeyFromEnv();
      } catch (e) {
        throw e instanceof SecretKeyError ? keyProblem(e) : e;
      }
      const id = newId();
      const secret = generateSecret('generic');
      const now = clock().toISOString();
      const encryptedSecret = encryptSecret(key, subscriptionSecretWhere(tenantId, id), secret);
      await store.createSubscription({ tenantId, id, url, events, encryptedSecret, actor: `apikey:${keyId}`, now });
      return reply.status(201).send({ id, url, events, createdAt: now, secret });
    },
  );

  app.get(
    '/subscriptions',
    {
      schema: {
        summary: "The tenant's subscriptions (never their secrets)",
        tags: ['subscriptions'],
        response: { 200: Type.Object({ items: Type.Array(SubscriptionView) }), ...problemResponses },
      },
    },
    async (request) => ({ items: (await store.listSubscriptions(request.principal.tenantId)).map(view) }),
  );

  app.delete(
    '/subscriptions/:id',
    {
      schema: {
        summary: 'Remove a subscription (204); its undelivered webhooks go to the dead letters',
        tags: ['subscriptions'],
        params: Params,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const deleted = await store.deleteSubscription({
        tenantId,
        id: request.params.id,
        actor: `apikey:${keyId}`,
        now: clock().toISOString(),
      });
      if (!deleted) throw Problem.notFound('subscription-not-found', `No subscription ${request.params.id}.`);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/subscriptions/:id/test',
    {
      schema: {
        summary: 'Send a signed `ping` now and answer with the status code the receiver gave',
        description: '`status` is null when the receiver could not be reached (then `error` says why).',
        tags: ['subscriptions'],
        params: Params,
        response: {
          200: Type.Object(
            { status: Type.Union([Type.Integer(), Type.Null()]), error: Type.Optional(Type.String()) },
            { additionalProperties: false },
          ),
          ...problemResponses,
          503: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const sub = await find(tenantId, request.params.id);
      try {
        return { status: await pingSubscription(tenantId, sub, PING_TIMEOUT_MS, clock()) };
      } catch (e) {
        if (e instanceof SecretKeyError) throw keyProblem(e);
        if (e instanceof RetryableError) return { status: null, error: e.message };
        throw e;
      }
    },
  );
};
