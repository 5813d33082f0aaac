/**
 * The outbox's part of the Store: leasing due rows and settling each attempt. Every method is
 * scoped by tenant (invariant 7).
 */

/** An outbox row a decision writes in its own transaction (Slack, Jira, GitHub, webhooks). */
export interface OutboxDraft {
  topic: string;
  target: string;
  payload: unknown;
}

/** One outbox row leased by a worker for one attempt (`attempts` already counts it). */
export interface ClaimedDelivery {
  tenantId: string;
  id: string;
  decisionId: string;
  topic: string;
  target: string;
  idempotencyKey: string;
  payload: unknown;
  attempts: number;
  createdAt: string;
  leaseOwner: string;
}

/** A row written when another is settled (fan-out to subscriptions, `delivery.dead` notices). */
export interface OutboxRowDraft {
  topic: string;
  target: string;
  idempotencyKey: string;
  payload: unknown;
  /** Default: now. Fan-out rows keep their parent's, so lag counts from the decision. */
  createdAt?: string;
}

export interface OutboxStore {
  /**
   * Lease up to `limit` due pending rows whose target is one of `targets` (an entry ending in
   * ':' is a prefix, e.g. 'webhook:'). Rows of other targets wait, untouched, for their target.
   */
  claimDeliveries(
    owner: string,
    targets: string[],
    limit: number,
    leaseMs: number,
    now: Date,
  ): Promise<ClaimedDelivery[]>;
  /** Delivered, plus `then` rows in the same transaction; false (nothing written) if the lease was lost. */
  completeDelivery(row: ClaimedDelivery, now: string, then: OutboxRowDraft[]): Promise<boolean>;
  /** completeDelivery for several rows in one transaction (group commit); one result each, in order. */
  completeDeliveries(items: { row: ClaimedDelivery; now: string; then: OutboxRowDraft[] }[]): Promise<boolean[]>;
  /** Back to pending, due at `nextAttemptAt`; false if the lease was lost. */
  retryDeliveryLater(row: ClaimedDelivery, error: string, nextAttemptAt: string): Promise<boolean>;
  /** Back to pending, due at `nextAttemptAt`, the claim undone (not counted as an attempt); false if the lease was lost. */
  postponeDelivery(row: ClaimedDelivery, nextAttemptAt: string): Promise<boolean>;
  /** Dead, a `delivery` dead letter, audit `delivery.dead`, and `notice` (if any): one transaction. */
  killDelivery(row: ClaimedDelivery, reason: string, now: string, notice: OutboxRowDraft | null): Promise<boolean>;
}
