// A `transform` function in TypeScript: a web shop's order webhook → Switchyard Task fields.
// Declared fields: payload (the whole delivery). Types are stripped before it runs.
interface OrderEvent {
  order: { id: number; total_cents: number; customer: { tier?: string }; note?: string };
  problem: 'payment_failed' | 'address_invalid' | 'stock_missing';
}

const TITLES: Record<OrderEvent['problem'], string> = {
  payment_failed: 'Payment failed',
  address_invalid: 'Address invalid',
  stock_missing: 'Item out of stock',
};

export default function ({ payload }: { payload: OrderEvent }) {
  const { order, problem } = payload;
  return {
    externalId: `ORDER-${order.id}-${problem}`,
    title: `${TITLES[problem]} for order ${order.id}`,
    type: 'question',
    priority: order.total_cents >= 100_000 ? 2 : 3,
    component: problem === 'payment_failed' ? 'payments' : 'fulfilment',
    ...(order.customer.tier ? { customerTier: order.customer.tier } : {}),
    labels: ['shop', problem],
  };
}
