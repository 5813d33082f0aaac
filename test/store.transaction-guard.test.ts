/**
 * While a transaction is open, the code inside it reaches the store through its handle only.
 * A read through the Store itself from inside `batch()` would deadlock on SQLite (one
 * connection, held by the transaction); the guard makes it throw StrayStoreAccess at once, on
 * both stores. Work from other async contexts is not affected: it waits its turn. And the
 * watchdog reports a transaction open past its limit, once, while it is still open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrayStoreAccess } from '../src/store/errors.js';
import type { SlowTransaction } from '../src/store/open-transactions.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { useTestServer } from './support/server.js';
import { newEvent, TENANT } from './support/store-fixtures.js';
import { openFreshStore, STORES } from './support/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of STORES) {
  describe(`store transactions: the read guard and the watchdog (${kind})`, () => {
    let store: SqlStore;
    beforeAll(async () => {
      store = await openFreshStore(kind);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('a read through the Store inside batch() throws StrayStoreAccess instead of deadlocking', async () => {
      const attempt = store.batch(
        [TENANT],
        async (w) => {
          await w.readSnapshot(TENANT); // through the handle: fine
          await store.readSnapshot(TENANT); // through the main connection: refused
        },
        { what: 'pipeline batch', detail: '1 event' },
      );
      await expect(attempt).rejects.toBeInstanceOf(StrayStoreAccess);
      await expect(attempt).rejects.toThrow(/pipeline batch, 1 event.*through its handle/);
      // Nothing is stuck: the store answers afterwards.
      expect(await store.readSnapshot(TENANT)).toEqual({ load: {}, away: {} });
    });

    it('a nested transaction through the Store inside batch() throws too', async () => {
      const attempt = store.batch([TENANT], async () => {
        await store.insertEvents([newEvent('NESTED-1')]);
      });
      await expect(attempt).rejects.toBeInstanceOf(StrayStoreAccess);
      expect(await store.db.selectFrom('events').select('id').execute()).toHaveLength(0);
    });

    it('work from another async context waits for the transaction instead of throwing', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let inside!: () => void;
      const entered = new Promise<void>((r) => {
        inside = r;
      });
      const batch = store.batch([TENANT], async (w) => {
        inside();
        await held;
        return w.readSnapshot(TENANT);
      });
      await entered;
      // Started outside the batch's async context: an intake insert and an API read.
      const insert = store.insertEvents([newEvent('OUTSIDE-1')]);
      const read = store.readSnapshot(TENANT); // what GET /api/v1/members reads
      await sleep(50);
      release();
      await expect(batch).resolves.toEqual({ load: {}, away: {} });
      expect((await insert)[0]).toMatchObject({ status: 'accepted' });
      expect(await read).toEqual({ load: {}, away: {} });
    });

    it('work started inside a transaction but running after it ended is not refused', async () => {
      let later!: Promise<unknown>;
      await store.batch([TENANT], async () => {
        later = sleep(30).then(() => store.readSnapshot(TENANT));
      });
      await expect(later).resolves.toEqual({ load: {}, away: {} });
    });

    it('the watchdog reports a transaction open past its limit while it is open, then its end', async () => {
      const slow: SlowTransaction[] = [];
      const ended: SlowTransaction[] = [];
      store.watchSlowTransactions({ limitMs: 100, onSlow: (t) => slow.push(t), onSlowEnded: (t) => ended.push(t) });
      try {
        await store.batch([TENANT], async () => {
          await sleep(20);
        });
        expect(slow).toEqual([]);
        await store.batch(
          [TENANT],
          async () => {
            await sleep(400);
            expect(slow).toHaveLength(1); // reported while still open
          },
          { what: 'backlog drain', detail: `tenant ${TENANT}` },
        );
        expect(slow).toHaveLength(1);
        expect(slow[0]).toMatchObject({ what: 'backlog drain', detail: `tenant ${TENANT}` });
        expect(slow[0]!.openMs).toBeGreaterThanOrEqual(100);
        expect(ended).toHaveLength(1);
        expect(ended[0]!.openMs).toBeGreaterThanOrEqual(400);
      } finally {
        store.watchSlowTransactions({ limitMs: 60_000, onSlow: () => {} });
      }
    });
  });
}

for (const kind of STORES) {
  describe(`the server counts slow transactions in /metrics (${kind})`, () => {
    const { server: t } = useTestServer(kind, { txWatchdogMs: 50 });

    it('a transaction open past SWITCHYARD_TX_WATCHDOG_MS shows in switchyard_store_slow_transactions_total', async () => {
      await t.store.batch(['acme'], () => sleep(300), { what: 'backlog drain', detail: 'tenant acme' });
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_store_slow_transactions_total\{what="backlog drain"\} 1/);
    });
  });
}
