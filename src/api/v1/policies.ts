/**
 * /api/v1/policies: policy as versioned, reviewed code (docs/policy-versions.md). A version is
 * a tenant's routing document `{ policy, members, teams }`, addressed by its content hash
 * `pv_…` (the id every decision records) and numbered 1, 2, 3… for people. Create → (review)
 * → activate; rollback = activating an earlier version. Every transition is audited. This file
 * creates, lists and shows versions; policy-review.ts approves and activates them.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ConfigProblem } from '../../config/config-error.js';
import type { AppConfig } from '../../config/model.js';
import { checkRoutingDocument, parseRoutingYaml } from '../../config/routing-document.js';
import { policyVersionOf } from '../../config/tenant.js';
import type { FunctionRegistry } from '../../functions/registry.js';
import { Problem } from '../../http/problem.js';
import { checkPinnedFunctions } from '../../policy/pinned-functions.js';
import type { PolicyRegistry } from '../../policy/registry.js';
import { activationRefusal, createPolicyVersion } from '../../policy/versions.js';
import type { PolicyStore } from '../../store/policy-store.js';
import { PageQuery, problemResponses } from '../schemas.js';
import { activateVersion, policyReviewRoutes } from './policy-review.js';
import {
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

const CreateBody = Type.Object(
  {
    document: Type.Optional(
      Type.Unknown({ description: 'The routing document { policy, members, teams } as JSON (or give `yaml`)' }),
    ),
    yaml: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The routing document in YAML: the policy, members and teams keys of a tenant in the config',
      }),
    ),
    message: Type.Optional(Type.String({ maxLength: 2000, description: 'Why; kept with the version' })),
    activate: Type.Optional(
      Type.Boolean({ description: 'Activate it at once (refused with 409 while it needs review)' }),
    ),
  },
  { additionalProperties: false },
);

/** 422 `invalid-policy`: `errors` lists every problem with its JSON pointer (`path`) and, for YAML, its line. */
function invalidPolicy(problems: ConfigProblem[]): Problem {
  const where = (p: ConfigProblem) => `${p.pointer || '/'}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`;
  const shown = problems.slice(0, 5).map(where).join('; ');
  return Problem.unprocessable(
    'invalid-policy',
    `The routing document has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown}${problems.length > 5 ? '; …' : ''}`,
    { errors: problems.map(({ pointer, ...rest }) => ({ path: pointer, ...rest })) },
  );
}

export const policyRoutes: FastifyPluginAsyncTypebox<{
  store: PolicyStore;
  config: AppConfig;
  policies: PolicyRegistry;
  clock: () => Date;
  /** Pinned function versions must exist (src/policy/pinned-functions.ts). */
  functions: FunctionRegistry;
}> = async (app, { store, config, policies, clock, functions }) => {
  app.post(
    '/policies/versions',
    {
      schema: {
        summary: 'Create a policy version from a routing document { policy, members, teams } (JSON or YAML)',
        description:
          '201 with the new version; 200 with the existing one when that exact content already has a version (ids are ' +
          'content hashes). The document is checked like the config file: 422 `invalid-policy` lists every problem ' +
          'with its JSON pointer, and nothing is written. With `policyReview.required` the version starts `pending`; ' +
          '`activate: true` is then refused (409) before anything is written.',
        tags: ['policies'],
        body: CreateBody,
        response: { 200: VersionView, 201: VersionView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      const { document, yaml, message, activate: activateNow } = request.body;
      if ((document === undefined) === (yaml === undefined)) {
        throw Problem.unprocessable('document-or-yaml', 'Give exactly one of `document` (JSON) or `yaml` (a string).');
      }
      const checked = yaml !== undefined ? parseRoutingYaml(yaml) : checkRoutingDocument(document);
      if (!checked.ok) throw invalidPolicy(checked.problems);
      const unpinned = await checkPinnedFunctions((t, ref) => functions.get(t, ref), tenantId, checked.document);
      if (unpinned.length > 0) throw invalidPolicy(unpinned);
      const tenant = config.tenants.get(tenantId);
      if (!tenant) throw Problem.notFound('tenant-not-found', `Tenant ${tenantId} is not in the running config.`);
      const reviewRequired = tenant.policyReview?.required ?? false;

      if (activateNow) {
        // Refuse before writing anything: a 409 must not leave a half-done request behind.
        const existing = await store.getPolicyVersion(tenantId, { id: policyVersionOf(checked.document) });
        const refusal = existing
          ? await activationRefusal(store, tenantId, existing)
          : reviewRequired
            ? `Tenant ${tenantId} requires review: create the version without activate, have a key with scope ` +
              'policy:approve (not yours) approve it, then activate it.'
            : null;
        if (refusal)
          throw Problem.conflict('policy-version-not-approved', refusal, { review: existing?.review ?? 'pending' });
      }
      const actor = actorOf(keyId);
      const { version, created } = await createPolicyVersion(store, {
        tenantId,
        document: checked.document,
        author: actor,
        message: message?.trim() || null,
        reviewRequired,
        now: clock().toISOString(),
      });
      if (activateNow) await activateVersion({ store, policies, clock }, tenantId, version, actor, null);
      const active = await activeOf(store, tenantId);
      return reply.status(created ? 201 : 200).send(versionView(version, active?.version));
    },
  );

  app.get(
    '/policies/versions',
    {
      schema: {
        summary: "The tenant's policy versions, newest first (without their documents)",
        tags: ['policies'],
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ items: Type.Array(VersionSummaryView), next: Nullable(Type.String()) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const { limit = 50, after } = request.query;
      if (after !== undefined && !/^[1-9][0-9]{0,8}$/.test(after)) {
        throw Problem.badRequest('invalid-cursor', '`after` is the `next` value of the previous page (a number).');
      }
      const [page, active] = await Promise.all([
        store.listPolicyVersions(tenantId, limit, after === undefined ? undefined : Number(after)),
        activeOf(store, tenantId),
      ]);
      return { items: page.items.map((v) => summaryView(v, active?.version)), next: page.next };
    },
  );

  app.get(
    '/policies/versions/:v',
    {
      schema: {
        summary: 'One version with its document: by id (pv_…), by number, or `active`',
        tags: ['policies'],
        params: VersionParams,
        response: { 200: VersionView, ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const version = await resolveVersion(store, tenantId, request.params.v);
      return versionView(version, (await activeOf(store, tenantId))?.version);
    },
  );

  await app.register(policyReviewRoutes, { store, policies, clock });
};
