/**
 * /api/v1/policies review and activation (docs/policy-versions.md): approve a pending version
 * (another key's, with scope policy:approve), activate one (rollback = activating an earlier
 * one), the active version and the history of activations. Every transition is audited.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Problem } from '../../http/problem.js';
import type { PolicyRegistry } from '../../policy/registry.js';
import { activationRefusal } from '../../policy/versions.js';
import type {
  PolicyActivationRow,
  PolicyStore,
  PolicyVersionRow,
  PolicyVersionSummary,
} from '../../store/policy-store.js';
import { PageQuery, problemResponses } from '../schemas.js';
import {
  ActivationView,
  activationView,
  activeOf,
  actorOf,
  errorResponses,
  Nullable,
  resolveVersion,
  summaryView,
  VersionParams,
  VersionSummaryView,
  VersionView,
  versionView,
} from './policy-views.js';

export interface PolicyReviewDeps {
  store: PolicyStore;
  policies: PolicyRegistry;
  clock: () => Date;
}

/**
 * Activate (after the review rule), then bring this node's routing up to date at once. Null
 * when the version was the active one already.
 */
export async function activateVersion(
  { store, policies, clock }: PolicyReviewDeps,
  tenantId: string,
  version: PolicyVersionSummary,
  actor: string,
  reason: string | null,
): Promise<PolicyActivationRow | null> {
  const refusal = await activationRefusal(store, tenantId, version);
  if (refusal) throw Problem.conflict('policy-version-not-approved', refusal, { review: version.review });
  const result = await store.activatePolicyVersion({
    tenantId,
    version: version.id,
    actor,
    reason,
    now: clock().toISOString(),
  });
  if (result.status === 'not_found')
    throw Problem.notFound('policy-version-not-found', `No policy version ${version.id}.`);
  await policies.refresh();
  return result.status === 'activated' ? result.activation : null;
}

export const policyReviewRoutes: FastifyPluginAsyncTypebox<PolicyReviewDeps> = async (app, deps) => {
  const { store, policies, clock } = deps;

  app.post(
    '/policies/versions/:v/approve',
    {
      schema: {
        summary: 'Approve a pending version (needs a key with scope policy:approve that is not the author’s)',
        description:
          '403 `missing-scope` without the scope, 403 `self-approval` for the key that created it; 409 ' +
          '`policy-review-not-required` for a version that needs no review. Approving an approved version changes nothing.',
        tags: ['policies'],
        params: VersionParams,
        response: { 200: VersionView, ...errorResponses },
      },
    },
    async (request) => {
      const { tenantId, keyId, scopes } = request.principal;
      if (!scopes.includes('policy:approve')) {
        throw Problem.forbidden(
          'missing-scope',
          'Approving a policy version needs an API key with scope policy:approve (switchyard keys create --scope policy:approve).',
        );
      }
      const version = await resolveVersion(store, tenantId, request.params.v);
      const actor = actorOf(keyId);
      if (version.author === actor) {
        throw Problem.forbidden(
          'self-approval',
          `Version ${version.number} was created with this key: another key with scope policy:approve must approve it.`,
        );
      }
      let approved: PolicyVersionRow | undefined = version;
      if (version.review === 'pending') {
        approved = await store.approvePolicyVersion({
          tenantId,
          version: version.id,
          actor,
          now: clock().toISOString(),
        });
        // Approved by someone else meanwhile: show it as it is now.
        approved ??= await store.getPolicyVersion(tenantId, { id: version.id });
      } else if (version.review === 'not_required') {
        throw Problem.conflict(
          'policy-review-not-required',
          `Version ${version.number} was created without review (not_required): there is nothing to approve.`,
        );
      }
      return versionView(approved ?? version, (await activeOf(store, tenantId))?.version);
    },
  );

  app.post(
    '/policies/versions/:v/activate',
    {
      schema: {
        summary: 'Make a version the active one: new events are routed by it. Rollback = activating an earlier version',
        description:
          'Recorded in /policies/activations and the audit trail. 409 `policy-version-not-approved` for a pending ' +
          'version that was never active. Activating the active version changes nothing (`activation` is null).',
        tags: ['policies'],
        params: VersionParams,
        body: Type.Optional(
          Type.Object(
            { reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Why; kept in the audit trail' })) },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: Type.Object({ version: VersionView, activation: Type.Union([ActivationView, Type.Null()]) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { tenantId, keyId } = request.principal;
      const version = await resolveVersion(store, tenantId, request.params.v);
      const activation = await activateVersion(
        deps,
        tenantId,
        version,
        actorOf(keyId),
        request.body?.reason?.trim() || null,
      );
      return {
        version: versionView(version, (await activeOf(store, tenantId))?.version),
        activation: activation && activationView(activation),
      };
    },
  );

  app.get(
    '/policies/active',
    {
      schema: {
        summary: 'The active version (routes new events) and the one this node routes with now',
        description: '`serving` differs from `version.id` only for the moment it takes a node to refresh.',
        tags: ['policies'],
        response: {
          200: Type.Object({
            version: VersionSummaryView,
            activatedAt: Type.String({ format: 'date-time' }),
            serving: Nullable(Type.String()),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const active = await activeOf(store, tenantId);
      const version = active && (await store.getPolicyVersion(tenantId, { id: active.version }));
      if (!active || !version) {
        throw Problem.notFound('policy-version-not-found', `Tenant ${tenantId} has no active policy version.`);
      }
      return {
        version: summaryView(version, active.version),
        activatedAt: active.activatedAt,
        serving: policies.active(tenantId) ?? null,
      };
    },
  );

  app.get(
    '/policies/activations',
    {
      schema: {
        summary: 'Every change of the active version (activations and rollbacks), newest first',
        tags: ['policies'],
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ items: Type.Array(ActivationView), next: Nullable(Type.String()) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { limit = 50, after } = request.query;
      const page = await store.listPolicyActivations(request.principal.tenantId, { limit, after });
      return { items: page.items.map(activationView), next: page.next };
    },
  );
};
