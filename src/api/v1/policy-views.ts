/**
 * What the /api/v1/policies routes share (policies.ts: versions; policy-review.ts: review and
 * activation): the TypeBox views, their mappers, and how a `:v` reference names a version.
 */
import { Type } from 'typebox';
import { Problem } from '../../http/problem.js';
import { findPolicyVersion } from '../../policy/versions.js';
import type {
  PolicyActivationRow,
  PolicyStore,
  PolicyVersionRow,
  PolicyVersionSummary,
} from '../../store/policy-store.js';
import { ProblemSchema, problemResponses } from '../schemas.js';

export const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Object({}, { additionalProperties: true });

export const VersionSummaryView = Type.Object(
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

export const VersionView = Type.Object(
  {
    ...VersionSummaryView.properties,
    document: Type.Object(
      { policy: Json, members: Type.Array(Json), teams: Type.Array(Json) },
      { additionalProperties: false, description: 'The routing document as declared (defaults filled in)' },
    ),
  },
  { additionalProperties: false },
);

export const ActivationView = Type.Object(
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

export const VersionParams = Type.Object({
  v: Type.String({ description: 'A version id (pv_…), its number, or `active`' }),
});

export const errorResponses = { ...problemResponses, 403: ProblemSchema, 409: ProblemSchema };

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

/** The tenant's active version (its id and when it was activated), if it has one. */
export const activeOf = async (store: PolicyStore, tenantId: string) => (await store.activePolicies([tenantId]))[0];

export const summaryView = (v: PolicyVersionSummary, active: string | undefined) => ({
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

export const versionView = (v: PolicyVersionRow, active: string | undefined) => ({
  ...summaryView(v, active),
  document: v.document as { policy: Record<string, unknown>; members: []; teams: [] },
});

export const activationView = (a: PolicyActivationRow) => ({ ...a });

export const actorOf = (keyId: string) => `apikey:${keyId}`;
