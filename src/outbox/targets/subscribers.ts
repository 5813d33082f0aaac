/**
 * The fan-out target: a `subscribers` row becomes one `webhook:<subscriptionId>` row per
 * subscription whose events match its topic, written in the transaction that marks it
 * delivered. Each keeps the parent's idempotency key plus the subscription id, so a fan-out
 * repeated after a lost lease inserts nothing twice.
 */
import type { OutboxTarget } from './types.js';

/** '*' = every topic. */
export function subscribesTo(events: readonly string[], topic: string): boolean {
  return events.includes('*') || events.includes(topic);
}

export const subscribersTarget: OutboxTarget = {
  async deliver(row, ctx) {
    for (const sub of await ctx.store.listSubscriptions(row.tenantId)) {
      if (!subscribesTo(sub.events, row.topic)) continue;
      ctx.then.push({
        topic: row.topic,
        target: `webhook:${sub.id}`,
        idempotencyKey: `${row.idempotencyKey}:${sub.id}`,
        payload: row.payload,
        createdAt: row.createdAt,
      });
    }
  },
};
