/**
 * /api/v1/policies: policy as versioned, reviewed code (docs/policy-versions.md). A version is
 * a tenant's routing document `{ policy, members, teams }`, addressed by its content hash
 * `pv_…` (the id every decision records) and numbered 1, 2, 3… for people. Create → (review)
 * → activate; rollback = activating an earlier version. Every transition is audited.
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
import { activationRefusal, createPolicyVersion, findPolicyVersion } from '../../policy/versions.js';
import type {
  PolicyActivationRow,
  PolicyStore,
  PolicyVersionRow,
  PolicyVersionSummary,
} from '../../store/policy-store.js';
import { PageQuery, ProblemSchema, problemResponses } from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Object({}, { additionalProperties: true });

const VersionSummaryView = Type.Object(
  {
    id: Type.String({ description: '`pv_` + 16 hex: the content hash decisions record as policyVersion' }),
    number: Type.Integer({ description: '1, 2, 3… per tenant, in creation order' }),
    parent: Nullable(Type.String({ description: 'The version that was active when this one was created' })),
    author: Nullable(Type.String({ description: 'apikey:<api key id>, config:<file> or cli:<os user>' })),
    message: Nullable(Type.String()),
    review: Type.String({ description: 'not_required, pending or approved' }),
    approvedBy: Nullable(Type.String()),
    approvedAt: Nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    active: Type.Boolean({ description: 'The tenant routes new events with this version' }),
  },
  { additionalProperties: false },
);

const VersionView = Type.Object(
  {
    ...VersionSummaryView.properties,
    document: Type.Object(
      { policy: Json, members: Type.Array(Json), teams: Type.Array(Json) },
      { additionalProperties: false, description: 'The routing document as declared (defaults filled in)' },
    ),
  },
  { additionalProperties: false },
);

const ActivationView = Type.Object(
  {
    id: Type.String(),
    version: Type.String(),
    number: Type.Union([Type.Integer(), Type.Null()]),
    previous: Nullable(Type.String()),
    previousNumber: Type.Union([Type.Integer(), Type.Null()]),
    actor: Type.String(),
    reason: Nullable(Type.String()),
    rollback: Type.Boolean({ description: 'The version is older than the one it replaced' }),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

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

const VersionParams = Type.Object({
  v: Type.String({ description: 'A version id (pv_…), its number, or `active`' }),
});

const conflict = (slug: string, detail: string, extensions?: Record<string, unknown>) =>
  new Problem(409, slug, 'Conflict', detail, extensions);
const forbidden = (slug: string, detail: string) => new Problem(403, slug, 'Forbidden', detail);

const errorResponses = { ...problemResponses, 403: ProblemSchema, 409: ProblemSchema };

/**
 * The version `ref` names for the tenant — an id (`pv_…`), a number or `active` — or a 404
 * problem `policy-version-not-found` (another tenant's version looks exactly like a missing one).
 */
export async function resolveVersion(store: PolicyStore, tenantId: string, ref: string): Promise<PolicyVersionRow> {
  const version = await findPolicyVersion(store, tenantId, ref);
  if (!version) {
    throw Problem.notFound(
      'policy-version-not-found',
      ref === 'active'
        ? `Tenant ${tenantId} has no active policy version.`
        : `No policy version ${ref} (give a pv_… id, a version number or "active").`,
    );
  }
  return version;
}

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
  const activeOf = async (tenantId: string) => (await store.activePolicies([tenantId]))[0];
  const summaryView = (v: PolicyVersionSummary, active: string | undefined) => ({
    id: v.id,
    number: v.number,
    parent: v.parent,
    author: v.author,
    message: v.message,
    review: v.review,
    approvedBy: v.approvedBy,
    approvedAt: v.approvedAt,
    createdAt: v.createdAt,
    active: v.id === active,
  });
  const versionView = (v: PolicyVersionRow, active: string | undefined) => ({
    ...summaryView(v, active),
    document: v.document as { policy: Record<string, unknown>; members: []; teams: [] },
  });
  const activationView = (a: PolicyActivationRow) => ({ ...a });
  const actorOf = (keyId: string) => `apikey:${keyId}`;

  /** Activate (after the review rule), then bring this node's routing up to date at once. */
  const activate = async (tenantId: string, version: PolicyVersionSummary, actor: string, reason: string | null) => {
    const refusal = await activationRefusal(store, tenantId, version);
    if (refusal) throw conflict('policy-version-not-approved', refusal, { review: version.review });
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
  };

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
        if (refusal) throw conflict('policy-version-not-approved', refusal, { review: existing?.review ?? 'pending' });
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
      if (activateNow) await activate(tenantId, version, actor, null);
      const active = await activeOf(tenantId);
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
        activeOf(tenantId),
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
      return versionView(version, (await activeOf(tenantId))?.version);
    },
  );

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
        throw forbidden(
          'missing-scope',
          'Approving a policy version needs an API key with scope policy:approve (switchyard keys create --scope policy:approve).',
        );
      }
      const version = await resolveVersion(store, tenantId, request.params.v);
      const actor = actorOf(keyId);
      if (version.author === actor) {
        throw forbidden(
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
        throw conflict(
          'policy-review-not-required',
          `Version ${version.number} was created without review (not_required): there is nothing to approve.`,
        );
      }
      return versionView(approved ?? version, (await activeOf(tenantId))?.version);
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
      const activation = await activate(tenantId, version, actorOf(keyId), request.body?.reason?.trim() || null);
      return {
        version: versionView(version, (await activeOf(tenantId))?.version),
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
      const active = await activeOf(tenantId);
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
