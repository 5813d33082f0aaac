/**
 * Subscriptions as one outbox tick sees them: each tenant's list is read from the store at most
 * once per claimed batch (its first use in the tick), then shared by every row of the batch —
 * fan-outs, webhooks, `delivery.dead` notices. Nothing outlives the tick, so a subscription
 * created or deleted through the API takes effect on the next tick at the latest (the
 * staleness allowed: one tick, i.e. the rows claimed together with the first read). A failed
 * read fails the tick's rows of that tenant the same way, as retryable.
 */
import type { SubscriptionRow, SubscriptionStore } from '../store/subscription-store.js';

/** What a target may read of subscriptions. */
export type SubscriptionReader = Pick<SubscriptionStore, 'listSubscriptions' | 'getSubscription'>;

export function tickSubscriptions(store: Pick<SubscriptionStore, 'listSubscriptions'>): SubscriptionReader {
  const byTenant = new Map<string, Promise<SubscriptionRow[]>>();
  const listSubscriptions = (tenantId: string): Promise<SubscriptionRow[]> => {
    let list = byTenant.get(tenantId);
    if (!list) {
      list = store.listSubscriptions(tenantId);
      byTenant.set(tenantId, list);
    }
    return list;
  };
  return {
    listSubscriptions,
    getSubscription: async (tenantId, id) => (await listSubscriptions(tenantId)).find((s) => s.id === id),
  };
}
