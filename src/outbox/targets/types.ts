import type { ClaimedDelivery, OutboxRowDraft } from '../../store/outbox-store.js';
import type { SubscriptionReader } from '../tick-subscriptions.js';

export interface DeliveryContext {
  /** Targets read subscriptions only (fan-out, a webhook's URL and secret), once per tenant per tick. */
  store: SubscriptionReader;
  /** Aborted at the per-attempt timeout or when the worker stops. */
  signal: AbortSignal;
  now: Date;
  attemptTimeoutMs: number;
  /** Rows to write in the same transaction that marks this one delivered (e.g. a fan-out). */
  then: OutboxRowDraft[];
}

/**
 * One kind of downstream system. `deliver` resolves when the effect was accepted; it throws
 * RetryableError or PermanentError (src/reliability/errors.ts); anything else counts as retryable.
 * It must send `row.idempotencyKey` along, so a repeated attempt is recognisable downstream.
 */
export interface OutboxTarget {
  deliver(row: ClaimedDelivery, ctx: DeliveryContext): Promise<void>;
}
