/**
 * The outbox worker's batched store work, on both stores: a group commit settles its rows in
 * one guarded multi-row update (a row whose lease was taken over is false and nothing is
 * written for it), and subscriptions are read once per tenant per tick, so one created or
 * deleted between two ticks takes effect on the second.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret, generateSecret, secretKeyFromEnv } from '../src/crypto/secret-box.js';
import { Metrics } from '../src/observability/metrics.js';
import { subscriptionSecretWhere } from '../src/outbox/targets/webhook.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { newId } from '../src/store/ids.js';
import type { ClaimedDelivery, OutboxRowDraft } from '../src/store/outbox-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { type FakeSubscriber, startFakeSubscriber } from './support/fake-subscriber.js';
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

  describe(`outbox subscriptions, read once per tenant per tick (${kind})`, () => {
    let store: SqlStore;
    let fake: FakeSubscriber;
    const reads: string[] = [];
    let worker: OutboxWorker;
    beforeAll(async () => {
      store = await openFreshStore(kind);
      fake = await startFakeSubscriber();
      const counted: SqlStore = {
        ...store,
        listSubscriptions: (tenantId) => {
          reads.push(tenantId);
          return store.listSubscriptions(tenantId);
        },
        getSubscription: (tenantId, id) => {
          reads.push(tenantId);
          return store.getSubscription(tenantId, id);
        },
      };
      worker = new OutboxWorker(
        { store: counted, metrics: new Metrics(), log: pino({ level: 'silent' }) },
        { batchSize: 32, breaker: false },
      );
    });
    afterAll(async () => {
      await fake.close();
      await store.close();
    });

    const subscribe = async (tenantId: string, id: string) =>
      store.createSubscription({
        tenantId,
        id,
        url: fake.url,
        events: ['task.assigned'],
        encryptedSecret: encryptSecret(
          secretKeyFromEnv(),
          subscriptionSecretWhere(tenantId, id),
          generateSecret('generic'),
        ),
        actor: 'test',
        now: new Date().toISOString(),
      });
    const hooks = async () =>
      (await store.db.selectFrom('outbox').select('idempotency_key').where('target', 'like', 'webhook:%').execute())
        .map((r) => r.idempotency_key)
        .sort();
    const statuses = async () =>
      new Set((await store.db.selectFrom('outbox').select('status').execute()).map((r) => r.status));

    it('one read per tenant per tick; a subscription added (or deleted) between ticks is used by the next', async () => {
      for (let n = 0; n < 4; n++) await insertRow(store, 'acme', 'subscribers', n);
      for (let n = 4; n < 6; n++) await insertRow(store, 'beta', 'subscribers', n);
      expect(await worker.tick()).toBe(6);
      expect(reads.sort()).toEqual(['acme', 'beta']);
      expect(await hooks()).toEqual([]);

      const subId = newId();
      await subscribe('acme', subId);
      reads.length = 0;
      for (let n = 6; n < 9; n++) await insertRow(store, 'acme', 'subscribers', n);
      expect(await worker.tick()).toBe(3);
      expect(reads).toEqual(['acme']);
      const keys = [6, 7, 8].map((n) => `D-${n}:subscribers:task.assigned:${subId}`);
      expect(await hooks()).toEqual(keys);

      // The three webhook rows: one read of acme's subscriptions for all of them.
      reads.length = 0;
      expect(await worker.tick()).toBe(3);
      expect(reads).toEqual(['acme']);
      expect([...fake.countsById().keys()].sort()).toEqual(keys);
      expect(await statuses()).toEqual(new Set(['delivered']));

      expect(await store.deleteSubscription({ tenantId: 'acme', id: subId, actor: 'test', now: T0 })).toBe(true);
      await insertRow(store, 'acme', 'subscribers', 9);
      expect(await worker.tick()).toBe(1);
      expect(await hooks()).toEqual(keys);
      expect(await statuses()).toEqual(new Set(['delivered']));
    });
  });
}
