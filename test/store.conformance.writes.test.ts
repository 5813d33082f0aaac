/**
 * Store conformance, write paths: intake, leasing, the decision commit and its conflicts.
 * The same suite runs against every store in STORES on a real database (no mocks); each test
 * gets its own fresh database because claimEvents is not tenant-scoped.
 */
import { describe, expect, it } from 'vitest';
import { CommitConflict, LeaseLost } from '../src/store/errors.js';
import { openStore } from '../src/store/open-store.js';
import {
  assignedTo,
  at,
  commitFor,
  countRows,
  footprint,
  INTEGRATION,
  ingestAndClaim,
  iso,
  LEASE_MS,
  newEvent,
  OTHER_TENANT,
  queuedIn,
  T0,
  TENANT,
  taskFor,
  verifyChain,
} from './support/store-fixtures.js';
import { freshStoreUrl, STORES, useFreshStores } from './support/stores.js';

for (const kind of STORES) {
  describe(`Store conformance (${kind}): writes`, () => {
    const fresh = useFreshStores(kind);

    it('migrate is idempotent: running it again, and opening the same database again, changes nothing', async () => {
      const url = await freshStoreUrl(kind);
      const first = await openStore(url);
      await first.insertEvents([newEvent('PAY-1')]);
      await first.migrate();
      await first.migrate();
      await first.close();
      const second = await openStore(url);
      try {
        await second.ping();
        expect(await countRows(second, 'events')).toBe(1);
      } finally {
        await second.close();
      }
    });

    describe('insertEvents', () => {
      it('accepts new events with distinct ids, stored as pending', async () => {
        const store = await fresh();
        const res = await store.insertEvents([newEvent('PAY-1'), newEvent('PAY-2')]);
        expect(res.map((r) => r.status)).toEqual(['accepted', 'accepted']);
        expect(res[0]!.id).not.toBe(res[1]!.id);
        const ev = await store.getEvent(TENANT, res[0]!.id);
        expect(ev).toMatchObject({ status: 'pending', attempts: 0, duplicates: 0, dedupeKey: 'PAY-1:created' });
        expect(ev).toMatchObject({ integration: INTEGRATION, taskId: null, decisionId: null, processedAt: null });
      });

      it('reports a duplicate within one batch and across batches, counting it on the stored event', async () => {
        const store = await fresh();
        const [a, b] = await store.insertEvents([newEvent('PAY-1'), newEvent('PAY-1', { body: '{"changed":true}' })]);
        expect(a).toEqual({ status: 'accepted', id: a!.id });
        expect(b).toEqual({ status: 'duplicate', id: a!.id });
        expect((await store.getEvent(TENANT, a!.id))?.duplicates).toBe(1);

        const [c] = await store.insertEvents([newEvent('PAY-1')]);
        expect(c).toEqual({ status: 'duplicate', id: a!.id });
        const stored = await store.getEvent(TENANT, a!.id);
        expect(stored?.duplicates).toBe(2);
        expect(stored?.status).toBe('pending');
        expect(await countRows(store, 'events')).toBe(1);
        const [claimed] = await store.claimEvents('w', 10, LEASE_MS, T0);
        expect(JSON.parse(claimed!.body)).toEqual(taskFor('PAY-1')); // the first body is kept
      });

      it('treats the same dedupe key under another tenant or integration as a new event', async () => {
        const store = await fresh();
        const res = await store.insertEvents([
          newEvent('PAY-1'),
          newEvent('PAY-1', { tenantId: OTHER_TENANT }),
          newEvent('PAY-1', { integration: 'github' }),
        ]);
        expect(res.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
        expect(new Set(res.map((r) => r.id)).size).toBe(3);
      });

      it('concurrent batches sharing dedupe keys in opposite orders both commit, each key accepted once', async () => {
        const store = await fresh();
        const keys = Array.from({ length: 20 }, (_, i) => `PAY-${i}`);
        const [up, down] = await Promise.all([
          store.insertEvents(keys.map((k) => newEvent(k))),
          store.insertEvents([...keys].reverse().map((k) => newEvent(k))),
        ]);
        const all = [...up!, ...down!];
        expect(all.filter((r) => r.status === 'accepted')).toHaveLength(keys.length);
        expect(new Set(all.map((r) => r.id)).size).toBe(keys.length);
        expect(await countRows(store, 'events')).toBe(keys.length);
        const stored = await Promise.all(up!.map((r) => store.getEvent(TENANT, r.id)));
        expect(stored.every((e) => e?.duplicates === 1)).toBe(true);
      });
    });

    describe('claimEvents', () => {
      it('leases pending events in id (arrival) order, up to the limit, and counts the attempt', async () => {
        const store = await fresh();
        const ids = (await store.insertEvents(['E', 'D', 'C', 'B', 'A'].map((x) => newEvent(x)))).map((r) => r.id);
        expect([...ids].sort()).toEqual(ids);
        const first = await store.claimEvents('w1', 3, LEASE_MS, T0);
        expect(first.map((e) => e.id)).toEqual(ids.slice(0, 3));
        expect(first[0]).toMatchObject({ tenantId: TENANT, integration: INTEGRATION, attempts: 1, leaseOwner: 'w1' });
        expect((await store.getEvent(TENANT, ids[0]!))?.status).toBe('processing');
        const second = await store.claimEvents('w2', 10, LEASE_MS, T0);
        expect(second.map((e) => e.id)).toEqual(ids.slice(3));
        expect(await store.claimEvents('w3', 10, LEASE_MS, T0)).toEqual([]);
      });

      it('does not hand a leased event to another owner until the lease expires, then re-hands it', async () => {
        const store = await fresh();
        const [ev] = await ingestAndClaim(store, ['PAY-1'], { owner: 'w1', now: T0 });
        expect(await store.claimEvents('w2', 10, 30_000, at(LEASE_MS - 1))).toEqual([]);
        const [again] = await store.claimEvents('w2', 10, 30_000, at(LEASE_MS + 1));
        expect(again).toMatchObject({ id: ev!.id, leaseOwner: 'w2', attempts: 2 });
        expect(await store.claimEvents('w3', 10, 30_000, at(LEASE_MS + 2))).toEqual([]);
      });

      it('releaseEvent puts the event back, claimable from its retry time on, and records the error', async () => {
        const store = await fresh();
        const [ev] = await ingestAndClaim(store, ['PAY-1']);
        await store.releaseEvent(ev!, 'policy engine exploded', at(2_000));
        expect(await store.getEvent(TENANT, ev!.id)).toMatchObject({
          status: 'pending',
          error: 'policy engine exploded',
        });
        expect(await store.claimEvents('w2', 10, LEASE_MS, at(1_999))).toEqual([]);
        const [again] = await store.claimEvents('w2', 10, LEASE_MS, at(2_001));
        expect(again).toMatchObject({ id: ev!.id, attempts: 2, leaseOwner: 'w2' });
      });

      it('never hands the same event to two concurrent claimers', async () => {
        const store = await fresh();
        const n = 120;
        const ids = (await store.insertEvents(Array.from({ length: n }, (_, i) => newEvent(`PAY-${i}`)))).map(
          (r) => r.id,
        );
        const drain = async (owner: string) => {
          const got: string[] = [];
          for (;;) {
            const batch = await store.claimEvents(owner, 7, LEASE_MS, T0);
            if (batch.length === 0) return got;
            for (const e of batch) {
              expect(e.leaseOwner).toBe(owner);
              expect(e.attempts).toBe(1);
            }
            got.push(...batch.map((e) => e.id));
          }
        };
        const [a, b] = await Promise.all([drain('w1'), drain('w2')]);
        expect(a.filter((id) => b.includes(id))).toEqual([]);
        expect([...a, ...b].sort()).toEqual([...ids].sort());
      });
    });

    describe('commitDecision', () => {
      it('writes task, decision, outbox, audit, load and event status together', async () => {
        const store = await fresh();
        const [ev] = await ingestAndClaim(store, ['PAY-1']);
        const snapshot = { load: { alice: 1 }, away: { carol: true } };
        const c = commitFor(ev!, assignedTo('alice', { load: 1 }), { snapshot, capacity: 5, now: iso(5) });
        expect(await store.commitDecision(c)).toEqual({ taskId: c.taskId, decisionId: c.decisionId });

        const task = await store.getTask(TENANT, c.taskId);
        expect(task).toMatchObject({
          externalId: 'PAY-1',
          integration: INTEGRATION,
          status: 'assigned',
          assignee: 'alice',
        });
        expect(task).toMatchObject({ queue: null, priority: 2, currentDecisionId: c.decisionId, createdAt: iso(5) });
        expect(task?.task).toEqual(taskFor('PAY-1'));
        expect((await store.findTaskByExternalId(TENANT, 'PAY-1'))?.id).toBe(c.taskId);

        const [decision, ...more] = await store.listDecisions(TENANT, c.taskId);
        expect(more).toEqual([]);
        expect(decision).toMatchObject({ id: c.decisionId, kind: 'auto', eventId: ev!.id, outcome: 'assigned' });
        expect(decision).toMatchObject({ route: 'payments-bugs', strategy: 'least_loaded', supersedesId: null });
        expect(decision).toMatchObject({ policyVersion: c.decision.policyVersion, inputHash: c.inputHash });
        expect(decision?.detail).toEqual({ candidates: c.decision.candidates, routesTried: c.decision.routesTried });
        expect(decision?.snapshot).toEqual(snapshot);
        expect(decision?.explanation).toBe(c.decision.explanation);

        const outbox = await store.db
          .selectFrom('outbox')
          .selectAll()
          .where('tenant_id', '=', TENANT)
          .orderBy('id')
          .execute();
        expect(outbox.map((o) => [o.topic, o.target, o.status, o.idempotency_key])).toEqual([
          ['task.assigned', 'subscribers', 'pending', `${c.decisionId}:subscribers:task.assigned`],
          ['task.routed', 'jira-writeback', 'pending', `${c.decisionId}:jira-writeback:task.routed`],
        ]);
        expect(JSON.parse(outbox[0]!.payload)).toEqual(c.outbox[0]!.payload);

        const { rows } = await verifyChain(store);
        expect(rows.map((r) => [r.kind, r.subject])).toEqual([['decision', c.decisionId]]);
        expect(await store.getEvent(TENANT, ev!.id)).toMatchObject({
          status: 'decided',
          taskId: c.taskId,
          decisionId: c.decisionId,
          processedAt: iso(5),
        });
        expect((await store.readSnapshot(TENANT)).load).toEqual({ alice: 1 });
      });

      it('a queued decision creates a queued task and takes no capacity', async () => {
        const store = await fresh();
        const [ev] = await ingestAndClaim(store, ['PAY-1']);
        const c = commitFor(ev!, queuedIn('triage'));
        await store.commitDecision(c);
        expect(await store.getTask(TENANT, c.taskId)).toMatchObject({
          status: 'queued',
          assignee: null,
          queue: 'triage',
        });
        expect(await store.readSnapshot(TENANT)).toEqual({ load: {}, away: {} });
      });

      it('a round-robin decision takes the route’s next turn by compare-and-set', async () => {
        const store = await fresh();
        const evs = await ingestAndClaim(store, ['A', 'B', 'C', 'D']);
        const rr = (who: string) => assignedTo(who, { route: 'rota', strategy: 'round_robin' });
        await store.commitDecision(commitFor(evs[0]!, rr('alice'), { turnSeen: 0 }));
        expect((await store.readSnapshot(TENANT)).turns).toEqual({ rota: { alice: 1 } });

        const before = await footprint(store);
        const stale = store.commitDecision(commitFor(evs[1]!, rr('bob'), { turnSeen: 0 }));
        await expect(stale).rejects.toEqual(new CommitConflict('cursor'));
        const ahead = store.commitDecision(commitFor(evs[2]!, rr('bob'), { turnSeen: 5 }));
        await expect(ahead).rejects.toMatchObject({ name: 'CommitConflict', why: 'cursor' });
        expect(await footprint(store)).toEqual(before);
        expect((await store.getEvent(TENANT, evs[1]!.id))?.status).toBe('processing');

        await store.commitDecision(commitFor(evs[3]!, rr('bob'), { turnSeen: 1 }));
        expect((await store.readSnapshot(TENANT)).turns).toEqual({ rota: { alice: 1, bob: 2 } });
      });

      it('a per-type capacity is enforced on top of the total', async () => {
        const store = await fresh();
        const evs = await ingestAndClaim(store, ['I-1', 'I-2', 'B-1']);
        const typed = (ev: (typeof evs)[number], type: string) =>
          commitFor(ev, assignedTo('alice'), { capacity: 5, typeCapacity: 1, task: { ...taskFor(ev.id), type } });
        await store.commitDecision(typed(evs[0]!, 'incident'));
        await expect(store.commitDecision(typed(evs[1]!, 'incident'))).rejects.toMatchObject({ why: 'capacity' });
        await store.commitDecision(typed(evs[2]!, 'bug'));
        const snapshot = await store.readSnapshot(TENANT);
        expect(snapshot.load).toEqual({ alice: 2 });
        expect(snapshot.loadByType).toEqual({ alice: { incident: 1, bug: 1 } });
      });

      it('a full assignee rejects the commit with CommitConflict("capacity") and writes nothing', async () => {
        const store = await fresh();
        const [first, second] = await ingestAndClaim(store, ['PAY-1', 'PAY-2']);
        await store.commitDecision(commitFor(first!, assignedTo('alice'), { capacity: 1 }));
        const before = await footprint(store);

        const c = commitFor(second!, assignedTo('alice', { load: 0 }), { capacity: 1 });
        const err = await store.commitDecision(c).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CommitConflict);
        expect((err as CommitConflict).why).toBe('capacity');
        expect(await footprint(store)).toEqual(before);
        expect(before.snapshot.load).toEqual({ alice: 1 });
        expect(await store.getTask(TENANT, c.taskId)).toBeUndefined();
        expect(await store.getEvent(TENANT, second!.id)).toMatchObject({ status: 'processing', taskId: null });
        // A member with no capacity at all is never assigned, even with no open tasks.
        const zero = store.commitDecision(commitFor(second!, assignedTo('bob'), { capacity: 0 }));
        await expect(zero).rejects.toMatchObject({ why: 'capacity' });
        expect(await footprint(store)).toEqual(before);
      });

      it('a second task for the same external id is CommitConflict("task_exists") and writes nothing', async () => {
        const store = await fresh();
        await store.insertEvents([newEvent('PAY-1'), newEvent('PAY-1', { dedupeKey: 'PAY-1:updated' })]);
        const [first, second] = await store.claimEvents('w1', 10, LEASE_MS, T0);
        await store.commitDecision(commitFor(first!, assignedTo('alice')));
        const before = await footprint(store);

        const err = await store.commitDecision(commitFor(second!, assignedTo('bob'))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CommitConflict);
        expect((err as CommitConflict).why).toBe('task_exists');
        expect(await footprint(store)).toEqual(before);
        expect(await store.getEvent(TENANT, second!.id)).toMatchObject({ status: 'processing', decisionId: null });
      });

      it('a commit after the lease was lost throws LeaseLost and writes nothing', async () => {
        const store = await fresh();
        await store.insertEvents([newEvent('PAY-1')]);
        const [mine] = await store.claimEvents('w1', 1, 1_000, T0);
        const [theirs] = await store.claimEvents('w2', 1, LEASE_MS, at(2_000));
        expect(theirs?.id).toBe(mine!.id);
        const before = await footprint(store);

        const err = await store.commitDecision(commitFor(mine!, assignedTo('alice'))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LeaseLost);
        expect((err as LeaseLost).eventId).toBe(mine!.id);
        expect(await footprint(store)).toEqual(before);
        expect(await store.getEvent(TENANT, mine!.id)).toMatchObject({ status: 'processing', attempts: 2 });

        await store.commitDecision(commitFor(theirs!, assignedTo('alice')));
        expect((await store.getEvent(TENANT, mine!.id))?.status).toBe('decided');
        // A released event is no longer ours either.
        const [other] = await ingestAndClaim(store, ['PAY-2'], { owner: 'w1', now: at(3_000) });
        await store.releaseEvent(other!, 'retry later', at(3_000));
        await expect(store.commitDecision(commitFor(other!, assignedTo('alice')))).rejects.toBeInstanceOf(LeaseLost);
      });

      it('concurrent commits for a member with capacity k: exactly k succeed, capacity is never exceeded', async () => {
        const store = await fresh();
        const k = 3;
        const n = 8;
        const events = await ingestAndClaim(
          store,
          Array.from({ length: n }, (_, i) => `PAY-${i}`),
        );
        const results = await Promise.allSettled(
          events.map((ev) => store.commitDecision(commitFor(ev, assignedTo('alice'), { capacity: k }))),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won).toHaveLength(k);
        for (const e of lost) expect(e).toMatchObject({ name: 'CommitConflict', why: 'capacity' });
        expect((await store.readSnapshot(TENANT)).load).toEqual({ alice: k });
        expect(await countRows(store, 'tasks')).toBe(k);
        expect(await countRows(store, 'outbox')).toBe(2 * k);
        const statuses = await Promise.all(events.map(async (ev) => (await store.getEvent(TENANT, ev.id))?.status));
        expect(statuses.filter((s) => s === 'decided')).toHaveLength(k);
        expect(statuses.filter((s) => s === 'processing')).toHaveLength(n - k);
        const chain = await verifyChain(store);
        expect(chain.break).toBeNull();
        expect(chain.lastSeq).toBe(k);
      });
    });
  });
}
