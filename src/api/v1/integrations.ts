/**
 * /api/v1/integrations: the key's tenant's integrations (never their secrets), trying a
 * transform on a sample payload before it goes into the config, and secret rotation
 * (integration-secrets.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import jsonata from 'jsonata';
import { Type } from 'typebox';
import type { AppConfig, Integration, Tenant } from '../../config/model.js';
import { INTEGRATION_TYPES } from '../../config/model.js';
import { Problem } from '../../http/problem.js';
import { secretProviderFor } from '../../intake/secret-provider.js';
import { activeSecrets } from '../../intake/sources/types.js';
import { normalize } from '../../pipeline/normalize.js';
import type { SecretStore } from '../../store/secret-store.js';
import { problemResponses } from '../schemas.js';
import { integrationSecretRoutes } from './integration-secrets.js';

/** A sample runs in the API process: a runaway transform must not hold it (the answer says it timed out). */
export const TRANSFORM_TEST_TIMEOUT_MS = 1000;

const IntegrationView = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ description: INTEGRATION_TYPES.join(', ') }),
    hook: Type.String({ description: 'Where the source posts: /hooks/<tenant>/<id>' }),
    activeSecrets: Type.Integer({ description: 'Secrets or tokens accepted now (the values are never shown)' }),
    hasTransform: Type.Boolean(),
  },
  { additionalProperties: false },
);

const TransformTestBody = Type.Object(
  {
    payload: Type.Unknown({ description: 'A sample delivery body, as the source would send it' }),
    transform: Type.Optional(
      Type.String({ minLength: 1, maxLength: 65536, description: 'JSONata to try instead of the configured one' }),
    ),
    event: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'The event kind intake would keep (GitHub: X-GitHub-Event)',
      }),
    ),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Sets payload.action (e.g. GitHub issues: opened, closed)',
      }),
    ),
  },
  { additionalProperties: false },
);

const TransformTestResult = Type.Object(
  {
    ok: Type.Boolean(),
    action: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'When ok: the source action (upsert, close, reopen, override, ignore)',
        },
      ),
    ),
    reason: Type.Optional(
      Type.String({ description: 'When not ok: exactly what the event would be dead-lettered with' }),
    ),
  },
  { additionalProperties: false },
);

export function integrationOf(
  config: AppConfig,
  tenantId: string,
  id: string,
): { tenant: Tenant; integration: Integration } {
  const tenant = config.tenants.get(tenantId);
  if (!tenant) throw Problem.notFound('tenant-not-found', `Tenant ${tenantId} is not in the running config.`);
  const integration = tenant.integrations.get(id);
  // Another tenant's integration looks exactly like a missing one.
  if (!integration) throw Problem.notFound('integration-not-found', `No integration "${id}" for tenant ${tenantId}.`);
  return { tenant, integration };
}

/** Compile fresh (with a time limit) rather than reuse the config's expression, which has none. */
function compile(source: string) {
  try {
    return jsonata(source, { timeout: TRANSFORM_TEST_TIMEOUT_MS });
  } catch (e) {
    const err = e as { message?: string; position?: number; code?: string; token?: string };
    throw Problem.unprocessable(
      'invalid-transform',
      `JSONata does not compile: ${err.message ?? String(e)} (at character ${err.position ?? '?'})`,
      { position: err.position ?? null, code: err.code ?? null },
    );
  }
}

export const integrationRoutes: FastifyPluginAsyncTypebox<{ config: AppConfig; store: SecretStore }> = async (
  app,
  { config, store },
) => {
  await app.register(integrationSecretRoutes, { config, store });
  app.get(
    '/integrations',
    {
      schema: {
        summary: "The tenant's integrations: id, type, how many secrets are active, whether a transform is set",
        tags: ['integrations'],
        response: { 200: Type.Object({ items: Type.Array(IntegrationView) }), ...problemResponses },
      },
    },
    async (request) => {
      const tenantId = request.principal.tenantId;
      const tenant = config.tenants.get(tenantId);
      if (!tenant) throw Problem.notFound('tenant-not-found', `Tenant ${tenantId} is not in the running config.`);
      const now = new Date();
      const secrets = secretProviderFor(store);
      const items = await Promise.all(
        [...tenant.integrations.values()].map(async (i) => ({
          id: i.id,
          type: i.type,
          hook: `/hooks/${tenantId}/${i.id}`,
          // The config's and the rotated ones in the store.
          activeSecrets: activeSecrets({ ...i, secrets: await secrets.for(tenantId, i) }, now).length,
          hasTransform: i.transformSource !== undefined,
        })),
      );
      return { items };
    },
  );

  // `::` is find-my-way's escape for a literal colon: the URL is /integrations/<id>/transform:test.
  app.post(
    '/integrations/:id/transform::test',
    {
      schema: {
        summary: "Run the integration's normalizer (or the given transform) on a sample payload",
        description:
          'Answers 200 with `{ok: true, action}` or `{ok: false, reason}`: a transform that fails on the sample is a ' +
          'result, not a request error. A transform that does not compile is 422 (`invalid-transform`). Nothing is stored.',
        tags: ['integrations'],
        params: Type.Object({ id: Type.String() }),
        body: TransformTestBody,
        response: { 200: TransformTestResult, ...problemResponses },
      },
    },
    async (request) => {
      const { tenant, integration } = integrationOf(config, request.principal.tenantId, request.params.id);
      const { transform, event, action } = request.body;
      const source = transform ?? integration.transformSource;
      const tried: Integration =
        source === undefined ? integration : { ...integration, transform: compile(source), transformSource: source };
      let payload = request.body.payload;
      if (action !== undefined && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
        payload = { ...payload, action };
      }
      // The same path an event takes in the pipeline, so the reason is word for word what it would be dead-lettered with.
      const result = await normalize({
        integration: tried,
        payload,
        meta: event === undefined ? {} : { event },
        roster: tenant.roster,
      });
      return result.ok ? { ok: true, action: result.action } : { ok: false, reason: result.reason };
    },
  );
};
