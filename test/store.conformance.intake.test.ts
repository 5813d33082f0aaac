/**
 * Store conformance, intake's insert: a batch goes in as multi-row upserts, its duplicates
 * (within the batch and of earlier events) resolved with the same answers and counts as one
 * upsert per event gave; and events inserted already leased to a worker (the hand-off).
 * Real databases, no mocks; each test gets its own fresh database.
 */
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/store/event-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import {
  at,
  countRows,
  INTEGRATION,
  iso,
  LEASE_MS,
  newEvent,
  OTHER_TENANT,
  T0,
  TENANT,
} from './support/store-fixtures.js';
import { STORES, useFreshStores } from './support/stores.js';

async function leaseOf(store: SqlStore, id: string) {
  return store.db
    .selectFrom('events')
    .select(['status', 'attempts', 'lease_owner', 'lease_until', 'duplicates'])
    .where('tenant_id', '=', TENANT)
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

for (const kind of STORES) {
  describe(`Store conformance (${kind}): intake insert`, () => {
    const fresh = useFreshStores(kind);

    it('a batch mixing new events, in-batch duplicates and a duplicate of an earlier event: each answered and counted', async () => {
      const store = await fresh();
      const [earlier] = await store.insertEvents([newEvent('PAY-1')]);
      const res = await store.insertEvents([
        newEvent('PAY-3'),
        newEvent('PAY-1', { body: '{"late":true}' }),
        newEvent('PAY-3', { body: '{"second":true}' }),
        newEvent('PAY-2'),
        newEvent('PAY-3'),
        newEvent('PAY-1'),
        newEvent('PAY-2', { tenantId: OTHER_TENANT }),
      ]);
      const [p3, p1, p3b, p2, p3c, p1b, other] = res;
      expect(p3).toEqual({ status: 'accepted', id: p3!.id });
      expect(p1).toEqual({ status: 'duplicate', id: earlier!.id });
      expect(p3b).toEqual({ status: 'duplicate', id: p3!.id });
      expect(p2).toEqual({ status: 'accepted', id: p2!.id });
      expect(p3c).toEqual({ status: 'duplicate', id: p3!.id });
      expect(p1b).toEqual({ status: 'duplicate', id: earlier!.id });
      expect(other?.status).toBe('accepted');
      expect(new Set([earlier!.id, p3!.id, p2!.id, other!.id]).size).toBe(4);
      // Ids are minted in arrival order, whatever order the rows were written in.
      expect(p3!.id < p2!.id).toBe(true);
      expect((await store.getEvent(TENANT, earlier!.id))?.duplicates).toBe(2);
      expect(await store.getEvent(TENANT, p3!.id)).toMatchObject({ duplicates: 2, dedupeKey: 'PAY-3:created' });
      expect(await store.getEvent(TENANT, p2!.id)).toMatchObject({ duplicates: 0, dedupeKey: 'PAY-2:created' });
      expect(await countRows(store, 'events')).toBe(3);
      expect(await countRows(store, 'events', OTHER_TENANT)).toBe(1);
      // The first body of a key is the one kept.
      const claimed = await store.claimEvents('w', 10, LEASE_MS, T0);
      expect(JSON.parse(claimed.find((e) => e.id === p3!.id)!.body)).toMatchObject({ externalId: 'PAY-3' });
    });

    it('answers are matched to events by dedupe key, not by the order rows come back', async () => {
      const store = await fresh();
      const keys = Array.from({ length: 40 }, (_, i) => `K-${String(39 - i).padStart(2, '0')}`);
      await store.insertEvents(keys.filter((_, i) => i % 3 === 0).map((k) => newEvent(k)));
      const batch = [...keys, ...keys.slice(0, 10)].map((k) => newEvent(k));
      const res = await store.insertEvents(batch);
      for (const [i, r] of res.entries()) {
        expect((await store.getEvent(TENANT, r.id))?.dedupeKey).toBe(batch[i]!.dedupeKey);
        const fresh = i < keys.length && i % 3 !== 0;
        expect(r.status, `${batch[i]!.dedupeKey} #${i}`).toBe(fresh ? 'accepted' : 'duplicate');
      }
      expect(await countRows(store, 'events')).toBe(keys.length);
    });

    it('a batch beyond one statement’s parameter limit goes in whole, each key once', async () => {
      const store = await fresh();
      const n = 6_000; // 12 parameters a row: more than SQLite's 32,766 and PostgreSQL's 65,535 allow in one statement
      const batch: NewEvent[] = Array.from({ length: n }, (_, i) => newEvent(`BIG-${i}`, { body: '{}' }));
      batch.push(newEvent('BIG-0', { body: '{}' }), newEvent(`BIG-${n - 1}`, { body: '{}' }));
      const res = await store.insertEvents(batch);
      expect(res.filter((r) => r.status === 'accepted')).toHaveLength(n);
      expect(res[n]).toEqual({ status: 'duplicate', id: res[0]!.id });
      expect(res[n + 1]).toEqual({ status: 'duplicate', id: res[n - 1]!.id });
      expect(await countRows(store, 'events')).toBe(n);
      expect((await store.getEvent(TENANT, res[0]!.id))?.duplicates).toBe(1);
    });

    it('an event inserted leased is left as claimEvents would have: processing, attempts 1, not claimable until the lease ends', async () => {
      const store = await fresh();
      const lease = { owner: 'w1', until: iso(LEASE_MS) };
      const [ev, plain] = await store.insertEvents([newEvent('PAY-1', { lease }), newEvent('PAY-2')]);
      expect(ev?.status).toBe('accepted');
      expect(await leaseOf(store, ev!.id)).toMatchObject({
        status: 'processing',
        attempts: 1,
        lease_owner: 'w1',
        lease_until: iso(LEASE_MS),
      });
      expect(await leaseOf(store, plain!.id)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null });
      const [claimed] = await store.claimEvents('w2', 10, LEASE_MS, at(LEASE_MS - 1));
      expect(claimed?.id).toBe(plain!.id);
      expect(await store.claimEvents('w2', 10, LEASE_MS, at(LEASE_MS - 1))).toEqual([]);
      const [again] = await store.claimEvents('w2', 10, LEASE_MS, at(LEASE_MS + 1));
      expect(again).toMatchObject({ id: ev!.id, attempts: 2, leaseOwner: 'w2', integration: INTEGRATION });
    });

    it('a duplicate never takes or changes a lease: the stored row keeps its own', async () => {
      const store = await fresh();
      const lease = { owner: 'w1', until: iso(LEASE_MS) };
      const [pending] = await store.insertEvents([newEvent('PAY-1')]);
      const [leased] = await store.insertEvents([newEvent('PAY-2', { lease })]);
      const res = await store.insertEvents([
        newEvent('PAY-1', { lease }),
        newEvent('PAY-2', { lease: { owner: 'w9', until: iso(2 * LEASE_MS) } }),
        newEvent('PAY-3'),
        newEvent('PAY-3', { lease }),
      ]);
      expect(res.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'accepted', 'duplicate']);
      expect(await leaseOf(store, pending!.id)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null });
      expect(await leaseOf(store, leased!.id)).toMatchObject({
        status: 'processing',
        attempts: 1,
        lease_owner: 'w1',
        lease_until: iso(LEASE_MS),
        duplicates: 1,
      });
      // The first of a key in the batch decides: PAY-3 came unleased first.
      expect(await leaseOf(store, res[2]!.id)).toMatchObject({ status: 'pending', lease_owner: null, duplicates: 1 });
    });
  });
}
