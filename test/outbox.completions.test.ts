import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/store/ids.js';
import type { ClaimedDelivery, OutboxRowDraft } from '../src/store/outbox-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { openFreshStore, STORES } from './support/stores.js';

const T0 = '2026-01-01T00:00:00.000Z';

async function insertRow(store: SqlStore, tenantId: string, target: string, n: number): Promise<string> {
  const id = newId();
  await store.db
    .insertInto('outbox')
    .values({
      tenant_id: tenantId,
      id,
      decision_id: `D-${n}`,
      topic: 'task.assigned',
      target,
      idempotency_key: `D-${n}:${target}:task.assigned`,
      payload: JSON.stringify({ n }),
      status: 'pending',
      next_attempt_at: T0,
      created_at: T0,
    })
    .execute();
  return id;
}

const fanOut = (key: string): OutboxRowDraft => ({
  topic: 'task.assigned',
  target: 'webhook:S1',
  idempotencyKey: key,
  payload: { key },
});

/** One completion (a `then` key in an object literal would read as a thenable). */
const done = (row: ClaimedDelivery, now: string, then: OutboxRowDraft[]) => ({ row, now, then });

for (const kind of STORES) {
  describe(`outbox completions in one statement (${kind})`, () => {
    let store: SqlStore;
    beforeAll(async () => {
      store = await openFreshStore(kind);
    });
    afterAll(async () => {
      await store.close();
    });

    it('a row whose lease was taken over is false, with nothing written for it; the others are settled', async () => {
      for (let n = 0; n < 3; n++) await insertRow(store, 'acme', 'subscribers', n);
      await insertRow(store, 'beta', 'subscribers', 3);
      const claimed = await store.claimDeliveries('worker-a', ['subscribers'], 10, 60_000, new Date());
      expect(claimed).toHaveLength(4);
      const byN = (n: number) => claimed.find((r) => r.decisionId === `D-${n}`) as ClaimedDelivery;
      const [r0, r1, r2, r3] = [byN(0), byN(1), byN(2), byN(3)];
      // Row 1's lease ran out and another worker took it over.
      await store.db
        .updateTable('outbox')
        .set({ lease_owner: 'worker-b' })
        .where('tenant_id', '=', 'acme')
        .where('id', '=', r1.id)
        .execute();
      const results = await store.completeDeliveries([
        done(r0, '2026-01-01T00:00:01.000Z', [fanOut('k0a'), fanOut('k0b')]),
        done(r1, '2026-01-01T00:00:02.000Z', [fanOut('k1')]),
        done(r2, '2026-01-01T00:00:03.000Z', []),
        done(r3, '2026-01-01T00:00:04.000Z', [fanOut('k3')]),
        // The same row twice in one batch: settled once, as if one after the other.
        done(r2, '2026-01-01T00:00:05.000Z', [fanOut('k2-again')]),
      ]);
      expect(results).toEqual([true, false, true, true, false]);

      const rows = await store.db
        .selectFrom('outbox')
        .select([
          'tenant_id',
          'id',
          'decision_id',
          'target',
          'idempotency_key',
          'status',
          'delivered_at',
          'lease_owner',
        ])
        .orderBy('idempotency_key')
        .execute();
      const row = (id: string) => rows.find((r) => r.id === id);
      expect(row(r0.id)).toMatchObject({
        status: 'delivered',
        delivered_at: '2026-01-01T00:00:01.000Z',
        lease_owner: null,
      });
      expect(row(r1.id)).toMatchObject({ status: 'pending', delivered_at: null, lease_owner: 'worker-b' });
      expect(row(r2.id)).toMatchObject({
        status: 'delivered',
        delivered_at: '2026-01-01T00:00:03.000Z',
        lease_owner: null,
      });
      expect(row(r3.id)).toMatchObject({
        status: 'delivered',
        delivered_at: '2026-01-01T00:00:04.000Z',
        lease_owner: null,
      });
      const written = rows
        .filter((r) => r.target === 'webhook:S1')
        .map((r) => [r.tenant_id, r.decision_id, r.idempotency_key, r.status]);
      expect(written).toEqual([
        ['acme', 'D-0', 'k0a', 'pending'],
        ['acme', 'D-0', 'k0b', 'pending'],
        ['beta', 'D-3', 'k3', 'pending'],
      ]);

      // Settled rows are not settled again; one completion alone answers the same way.
      expect(await store.completeDeliveries([done(r0, T0, [fanOut('late')])])).toEqual([false]);
      expect(await store.completeDelivery(r1, T0, [])).toBe(false);
      expect(await store.completeDeliveries([])).toEqual([]);
      const late = await store.db.selectFrom('outbox').select('id').where('idempotency_key', '=', 'late').execute();
      expect(late).toHaveLength(0);
    });
  });
}
