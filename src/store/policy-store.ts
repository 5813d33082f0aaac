/**
 * Policy versions: immutable routing documents numbered per tenant, their review, and the
 * tenant's active pointer with its history of activations. Every change is audited.
 */
import type { Page } from './shared.js';

/** `not_required`: activatable at once; `pending`: waits for an approval; `approved`: approved by another key. */
export type PolicyReview = 'not_required' | 'pending' | 'approved';

/** A policy version without its document (lists). `id` is the content hash `pv_…` decisions name. */
export interface PolicyVersionSummary {
  id: string;
  /** 1, 2, 3… per tenant, in creation order. */
  number: number;
  /** The version that was active when this one was created. */
  parent: string | null;
  /** `apikey:<api key id>`, `config:<file>` or `cli:<os user>`. */
  author: string | null;
  message: string | null;
  review: PolicyReview;
  approvedBy: string | null;
  approvedAt: string | null;
  createdAt: string;
}

export interface PolicyVersionRow extends PolicyVersionSummary {
  /** The routing document `{ policy, members, teams }` as declared (parsed JSON). */
  document: unknown;
}

export interface NewPolicyVersion {
  tenantId: string;
  /** The content hash of `document` (computed by the caller: the store does not know the hash). */
  id: string;
  document: unknown;
  author: string;
  message: string | null;
  review: Exclude<PolicyReview, 'approved'>;
  now: string;
}

export interface PolicyApproval {
  tenantId: string;
  version: string;
  actor: string;
  now: string;
}

export interface PolicyActivation {
  tenantId: string;
  version: string;
  actor: string;
  reason: string | null;
  now: string;
}

export interface PolicyActivationRow {
  id: string;
  version: string;
  number: number | null;
  /** The version active before; null for a tenant's first activation. */
  previous: string | null;
  previousNumber: number | null;
  actor: string;
  reason: string | null;
  /** The version activated is older than the one it replaced. */
  rollback: boolean;
  at: string;
}

export type PolicyActivationResult =
  | { status: 'activated'; activation: PolicyActivationRow }
  /** It already was the active version: nothing written. */
  | { status: 'already' }
  | { status: 'not_found' };

export interface ActivePolicyRow {
  tenantId: string;
  version: string;
  activatedAt: string;
}

export interface PolicyStore {
  /**
   * Number it max+1 for the tenant, parent = the active version, audit `policy.version.created`;
   * content that already has a version returns that one (`created: false`, nothing written).
   */
  insertPolicyVersion(v: NewPolicyVersion): Promise<{ version: PolicyVersionRow; created: boolean }>;
  getPolicyVersion(tenantId: string, ref: { id: string } | { number: number }): Promise<PolicyVersionRow | undefined>;
  /** Newest first; page with `after` = the previous page's `next` (a version number). */
  listPolicyVersions(tenantId: string, limit: number, after?: number): Promise<Page<PolicyVersionSummary>>;
  /** pending → approved, audit `policy.version.approved`; undefined (nothing written) when not pending or unknown. */
  approvePolicyVersion(a: PolicyApproval): Promise<PolicyVersionRow | undefined>;
  /** Move the tenant's active pointer, record the activation, audit `policy.version.activated`: one transaction. */
  activatePolicyVersion(a: PolicyActivation): Promise<PolicyActivationResult>;
  /** The active version of each of these tenants (those that have one), in one query. */
  activePolicies(tenantIds: string[]): Promise<ActivePolicyRow[]>;
  /** Every tenant that has policy versions, by id. */
  tenantsWithPolicyVersions(): Promise<string[]>;
  /** Newest first; `version` narrows to the activations of one version. */
  listPolicyActivations(
    tenantId: string,
    f: { limit: number; after?: string; version?: string },
  ): Promise<Page<PolicyActivationRow>>;
}
