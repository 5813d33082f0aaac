/**
 * The policy-version workflow shared by the API, the CLI and the boot sequence: create a
 * version from a validated routing document, find one by reference, and the review rule that
 * decides whether a version may be activated. See docs/policy-versions.md.
 */
import { policyVersionOf, type RoutingDocument } from '../config/tenant.js';
import type { PolicyStore, PolicyVersionRow, PolicyVersionSummary } from '../store/policy-store.js';

export interface VersionDraft {
  tenantId: string;
  /** Already validated (src/config/routing-document.ts, or the config loader). */
  document: RoutingDocument;
  /** `apikey:<api key id>`, `config:<file>` or `cli:<os user>`. */
  author: string;
  message: string | null;
  /** The tenant's `policyReview.required`: the new version starts `pending` instead of `not_required`. */
  reviewRequired: boolean;
  now: string;
}

/** The version of this content: the existing one (created false), or a new one numbered max+1. */
export async function createPolicyVersion(
  store: PolicyStore,
  v: VersionDraft,
): Promise<{ version: PolicyVersionRow; created: boolean }> {
  const id = policyVersionOf(v.document);
  // A plain read first: most boots find their config's version already there, and the insert
  // takes the tenant's audit head lock. insertPolicyVersion checks again inside its transaction.
  const existing = await store.getPolicyVersion(v.tenantId, { id });
  if (existing) return { version: existing, created: false };
  return store.insertPolicyVersion({
    tenantId: v.tenantId,
    id,
    document: v.document,
    author: v.author,
    message: v.message,
    review: v.reviewRequired ? 'pending' : 'not_required',
    now: v.now,
  });
}

const VERSION_ID = /^pv_[0-9a-f]{16}$/;

/** A version by reference: its id (`pv_…`), its number (`3`) or `active`; undefined when the tenant has none such. */
export async function findPolicyVersion(
  store: PolicyStore,
  tenantId: string,
  ref: string,
): Promise<PolicyVersionRow | undefined> {
  if (ref === 'active') {
    const [active] = await store.activePolicies([tenantId]);
    return active && store.getPolicyVersion(tenantId, { id: active.version });
  }
  if (/^[1-9][0-9]{0,8}$/.test(ref)) return store.getPolicyVersion(tenantId, { number: Number(ref) });
  if (VERSION_ID.test(ref)) return store.getPolicyVersion(tenantId, { id: ref });
  return undefined;
}

/**
 * Why this version may not be activated, or null when it may. The rule reads the version's own
 * review state, not the tenant's current setting: a `pending` version needs an approval first;
 * `approved` and `not_required` ones may be activated. A version that was active before may
 * always be activated again — a rollback to what already ran needs no new review.
 */
export async function activationRefusal(
  store: PolicyStore,
  tenantId: string,
  version: PolicyVersionSummary,
): Promise<string | null> {
  if (version.review !== 'pending') return null;
  const before = await store.listPolicyActivations(tenantId, { limit: 1, version: version.id });
  if (before.items.length > 0) return null;
  return (
    `Version ${version.number} (${version.id}) is pending review and was never active: a key with scope ` +
    `policy:approve other than its author's must approve it first (POST /api/v1/policies/versions/${version.number}/approve).`
  );
}
