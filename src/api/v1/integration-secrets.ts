/**
 * /api/v1/integrations/:id/secrets: rotate (the new value is in the answer, once), list
 * (never a value) and revoke an integration's secrets. Rotated secrets are stored encrypted
 * under SWITCHYARD_SECRET_KEY; the config's are listed but only the config can remove them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppConfig } from '../../config/model.js';
import { SecretKeyError } from '../../crypto/secret-box.js';
import { Problem } from '../../http/problem.js';
import { secretProviderFor } from '../../intake/secret-provider.js';
import { DEFAULT_EXPIRE_OTHERS_IN_S, listSecrets, revokeSecret, rotateSecret } from '../../intake/secret-rotation.js';
import type { SecretStore } from '../../store/secret-store.js';
import { ProblemSchema, problemResponses } from '../schemas.js';
import { integrationOf } from './integrations.js';

const RotateBody = Type.Object(
  {
    expireOthersInSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 366 * 24 * 3600,
        description: `The integration's other stored secrets stop being accepted this many seconds from now (default ${DEFAULT_EXPIRE_OTHERS_IN_S}; 0 = at once). An earlier expiry is kept.`,
      }),
    ),
  },
  { additionalProperties: false },
);

const Rotated = Type.Object(
  {
    id: Type.String(),
    secret: Type.String({ description: 'The new secret or token. Shown this once: it cannot be read back.' }),
    createdAt: Type.String(),
    expiresOthersAt: Type.String(),
  },
  { additionalProperties: false },
);

const SecretView = Type.Object(
  {
    id: Type.String({ description: 'A ULID for stored secrets; config:<index> for the config’s' }),
    source: Type.Union([Type.Literal('config'), Type.Literal('stored')]),
    createdAt: Type.Optional(Type.String()),
    expiresAt: Type.Optional(Type.String()),
    revokedAt: Type.Optional(Type.String()),
    active: Type.Boolean({ description: 'Accepted now: not expired, not revoked' }),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Type.String() });

/** The 503 for a missing or invalid SWITCHYARD_SECRET_KEY (also used by the subscriptions API). */
export function keyProblem(e: SecretKeyError): Problem {
  return Problem.unavailable(e.missing ? 'secret-key-not-set' : 'secret-key-invalid', e.message);
}

export const integrationSecretRoutes: FastifyPluginAsyncTypebox<{ config: AppConfig; store: SecretStore }> = async (
  app,
  { config, store },
) => {
  const target = (tenantId: string, id: string, keyId: string) => ({
    store,
    tenantId,
    integration: integrationOf(config, tenantId, id).integration,
    actor: `apikey:${keyId}`,
    changed: (t: string, i: string) => secretProviderFor(store).invalidate(t, i),
  });

  app.post(
    '/integrations/:id/secrets/rotate',
    {
      schema: {
        summary: 'Create a new secret for the integration; its other stored secrets expire after a grace period',
        description:
          'Answers 201 with the new secret, shown once. Secrets in the config are untouched: remove them from the ' +
          'config. 503 `secret-key-not-set` when the server has no SWITCHYARD_SECRET_KEY.',
        tags: ['integrations'],
        params: Params,
        body: RotateBody,
        response: { 201: Rotated, ...problemResponses, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      try {
        const r = await rotateSecret(target(tenantId, request.params.id, keyId), {
          expireOthersInSeconds: request.body.expireOthersInSeconds,
        });
        return reply
          .status(201)
          .send({ id: r.id, secret: r.secret, createdAt: r.createdAt, expiresOthersAt: r.expiresOthersAt });
      } catch (e) {
        throw e instanceof SecretKeyError ? keyProblem(e) : e;
      }
    },
  );

  app.get(
    '/integrations/:id/secrets',
    {
      schema: {
        summary: "The integration's secrets (config and stored) with their expiry; never their values",
        tags: ['integrations'],
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(SecretView) }), ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const { integration } = integrationOf(config, tenantId, request.params.id);
      return { items: await listSecrets(store, tenantId, integration) };
    },
  );

  app.delete(
    '/integrations/:id/secrets/:secretId',
    {
      schema: {
        summary: 'Revoke a stored secret at once (204); a config secret is removed by editing the config (409)',
        tags: ['integrations'],
        params: Type.Object({ id: Type.String(), secretId: Type.String() }),
        response: { 204: Type.Null(), ...problemResponses, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const { secretId } = request.params;
      if (secretId.startsWith('config:')) {
        throw Problem.conflict(
          'config-secret',
          `${secretId} is in the config: remove it there (or give it an expiresAt) and restart.`,
        );
      }
      if (!(await revokeSecret(target(tenantId, request.params.id, keyId), secretId))) {
        throw Problem.notFound(
          'secret-not-found',
          `No stored secret ${secretId} for integration ${request.params.id}.`,
        );
      }
      return reply.status(204).send(null);
    },
  );
};
