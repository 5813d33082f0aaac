/**
 * Store.batch: the pipeline's group commit. Writes share one transaction, each isolated by a
 * savepoint; reads inside see the batch's own writes; a failed write leaves only itself out.
 */
import { describe, expect, it } from 'vitest';
import { CommitConflict, LeaseLost } from '../src/store/errors.js';
import {
  assignedTo,
  commitFor,
  countRows,
  ingestAndClaim,
  iso,
  queuedIn,
  TENANT,
  verifyChain,
} from './support/store-fixtures.js';
import { STORES, useFreshStores } from './support/stores.js';

for (const kind of STORES) {
  describe(`Store conformance (${kind}): batch`, () => {
    const fresh = useFreshStores(kind);

    it('commits every write of the batch together, and reads inside see earlier writes', async () => {
      const store = await fresh();
      const [a, b, c] = await ingestAndClaim(store, ['PAY-1', 'PAY-2', 'PAY-3']);
      const seen = await store.batch([TENANT], async (w) => {
        await w.commitDecision(commitFor(a!, assignedTo('alice', { capacity: 5 })));
        const afterFirst = await w.readSnapshot(TENANT);
        await w.commitDecision(commitFor(b!, queuedIn('triage')));
        await w.deadLetterEvent(c!, 'no externalId', iso(2_000));
        return { load: afterFirst.load, task: await w.findTaskByExternalId(TENANT, 'PAY-1') };
      });
      expect(seen.load).toEqual({ alice: 1 });
      expect(seen.task?.assignee).toBe('alice');
      expect(await countRows(store, 'decisions')).toBe(2);
      expect(await countRows(store, 'dead_letters')).toBe(1);
      expect((await store.getEvent(TENANT, c!.id))?.status).toBe('dead');
      await verifyChain(store);
    });

    it('a write that conflicts is rolled back alone; the rest of the batch commits', async () => {
      const store = await fresh();
      const [a, b, c] = await ingestAndClaim(store, ['PAY-1', 'PAY-2', 'PAY-3']);
      const errors = await store.batch([TENANT], async (w) => {
        const caught: unknown[] = [];
        await w.commitDecision(commitFor(a!, assignedTo('alice'), { capacity: 1 }));
        // alice is now full: this one must fail and leave nothing behind.
        await w.commitDecision(commitFor(b!, assignedTo('alice'), { capacity: 1 })).catch((e) => caught.push(e));
        await w.commitDecision(commitFor(c!, queuedIn('triage')));
        return caught;
      });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(CommitConflict);
      expect((await store.getEvent(TENANT, a!.id))?.status).toBe('decided');
      expect((await store.getEvent(TENANT, b!.id))?.status).toBe('processing');
      expect((await store.getEvent(TENANT, c!.id))?.status).toBe('decided');
      expect(await countRows(store, 'decisions')).toBe(2);
      expect(await countRows(store, 'outbox')).toBe(4);
      expect((await store.readSnapshot(TENANT)).load).toEqual({ alice: 1 });
      await verifyChain(store);
    });

    it('a write whose lease was lost fails alone with LeaseLost', async () => {
      const store = await fresh();
      const [a, b] = await ingestAndClaim(store, ['PAY-1', 'PAY-2']);
      const outcome = await store.batch([TENANT], async (w) => {
        await w.commitDecision(commitFor(a!, queuedIn('triage')));
        return w.commitDecision(commitFor({ ...b!, leaseOwner: 'someone-else' }, queuedIn('triage'))).catch((e) => e);
      });
      expect(outcome).toBeInstanceOf(LeaseLost);
      expect(await countRows(store, 'decisions')).toBe(1);
    });

    it('if the batch itself fails, none of its writes are kept', async () => {
      const store = await fresh();
      const [a] = await ingestAndClaim(store, ['PAY-1']);
      await expect(
        store.batch([TENANT], async (w) => {
          await w.commitDecision(commitFor(a!, assignedTo('alice')));
          throw new Error('crash before commit');
        }),
      ).rejects.toThrow('crash before commit');
      expect(await countRows(store, 'decisions')).toBe(0);
      expect(await countRows(store, 'audit_log')).toBe(0);
      expect((await store.readSnapshot(TENANT)).load).toEqual({});
      expect((await store.getEvent(TENANT, a!.id))?.status).toBe('processing');
    });
  });
}
