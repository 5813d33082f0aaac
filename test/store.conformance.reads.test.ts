/**
 * Store conformance, follow-up writes and reads: merge, dead letters, overrides, tenant
 * isolation, the audit chain, snapshots and listings. Same suite for every store in STORES,
 * on a real database, a fresh one per test.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLost, TaskNotFound } from '../src/store/errors.js';
import type { SqlStore } from '../src/store/sql-store.js';
import type { OverrideCommit } from '../src/store/task-store.js';
import {
  assignedTo,
  commitFor,
  countRows,
  footprint,
  ingestAndClaim,
  iso,
  LEASE_MS,
  newEvent,
  OTHER_TENANT,
  POLICY_VERSION,
  queuedIn,
  T0,
  TENANT,
  taskFor,
  verifyChain,
} from './support/store-fixtures.js';
import { STORES, useFreshStores } from './support/stores.js';

const override = (taskId: string, over: Partial<OverrideCommit> = {}): OverrideCommit => ({
  tenantId: TENANT,
  taskId,
  assignee: 'bob',
  queue: null,
  reason: 'alice is on call elsewhere',
  actor: 'lead@acme.test',
  policyVersion: POLICY_VERSION,
  now: iso(9_000),
  ...over,
});

for (const kind of STORES) {
  describe(`Store conformance (${kind}): follow-ups and reads`, () => {
    const fresh = useFreshStores(kind);

    /** One task PAY-1 assigned to alice, decided from a claimed event. */
    async function withAssignedTask(store: SqlStore, tenantId = TENANT) {
      const [ev] = await ingestAndClaim(store, ['PAY-1'], { tenantId, owner: `w-${tenantId}` });
      const c = commitFor(ev!, assignedTo('alice'));
      await store.commitDecision(c);
      return { event: ev!, commit: c, task: (await store.getTask(tenantId, c.taskId))! };
    }

    it('mergeIntoTask updates the task fields, keeps its assignment, marks the event merged and audits it', async () => {
      const store = await fresh();
      const { task } = await withAssignedTask(store);
      await store.insertEvents([newEvent('PAY-1', { dedupeKey: 'PAY-1:updated' })]);
      const [update] = await store.claimEvents('w2', 10, LEASE_MS, T0);
      const changed = taskFor('PAY-1', { title: 'Checkout fails for everyone', priority: 1 });
      const decisionsBefore = await store.listDecisions(TENANT, task.id);

      await store.mergeIntoTask(update!, task, changed, iso(7_000));
      expect(await store.getTask(TENANT, task.id)).toEqual({
        ...task,
        title: 'Checkout fails for everyone',
        priority: 1,
        task: changed,
        updatedAt: iso(7_000),
      });
      expect(await store.getEvent(TENANT, update!.id)).toMatchObject({
        status: 'merged',
        taskId: task.id,
        decisionId: task.currentDecisionId,
        processedAt: iso(7_000),
      });
      expect(await store.listDecisions(TENANT, task.id)).toEqual(decisionsBefore);
      expect((await store.readSnapshot(TENANT)).load).toEqual({ alice: 1 });
      const { rows, break: broken } = await verifyChain(store);
      expect(broken).toBeNull();
      expect(rows.at(-1)).toMatchObject({ kind: 'task.updated', subject: task.id });
      expect(JSON.parse(rows.at(-1)!.data)).toMatchObject({ eventId: update!.id, after: changed });
      // The merge needs the lease too.
      await expect(store.mergeIntoTask(update!, task, changed, iso(8_000))).rejects.toBeInstanceOf(LeaseLost);
    });

    it('deadLetterEvent marks the event dead with its reason, lists it as a dead letter and audits it', async () => {
      const store = await fresh();
      const [ev] = await ingestAndClaim(store, ['PAY-1']);
      await store.deadLetterEvent(ev!, 'body does not match the jira mapping', iso(3_000));

      expect(await store.getEvent(TENANT, ev!.id)).toMatchObject({
        status: 'dead',
        error: 'body does not match the jira mapping',
        processedAt: iso(3_000),
        taskId: null,
      });
      const { items, next } = await store.listDeadLetters(TENANT, 10);
      expect(next).toBeNull();
      expect(items).toEqual([
        {
          id: expect.any(String),
          kind: 'event',
          refId: ev!.id,
          reason: 'body does not match the jira mapping',
          createdAt: iso(3_000),
        },
      ]);
      const { rows } = await verifyChain(store);
      expect(rows.map((r) => [r.kind, r.subject])).toEqual([['event.dead', ev!.id]]);
      expect(await store.claimEvents('w2', 10, LEASE_MS, T0)).toEqual([]);
      await expect(store.deadLetterEvent(ev!, 'again', iso(4_000))).rejects.toBeInstanceOf(LeaseLost);
      expect(await countRows(store, 'dead_letters')).toBe(1);
    });

    it('commitOverride adds a superseding decision, keeps the original, moves load and emits task.reassigned', async () => {
      const store = await fresh();
      const { task } = await withAssignedTask(store);
      const [original] = await store.listDecisions(TENANT, task.id);

      const row = await store.commitOverride(override(task.id));
      expect(row).toMatchObject({
        taskId: task.id,
        kind: 'override',
        outcome: 'assigned',
        assignee: 'bob',
        queue: null,
      });
      expect(row).toMatchObject({ eventId: null, supersedesId: original!.id, reason: 'alice is on call elsewhere' });
      expect(row).toMatchObject({ actor: 'lead@acme.test', policyVersion: POLICY_VERSION, createdAt: iso(9_000) });
      expect(await store.listDecisions(TENANT, task.id)).toEqual([original, row]);
      expect(await store.getTask(TENANT, task.id)).toMatchObject({
        status: 'assigned',
        assignee: 'bob',
        currentDecisionId: row.id,
        updatedAt: iso(9_000),
      });
      expect((await store.readSnapshot(TENANT)).load).toEqual({ bob: 1 });
      const outbox = await store.db.selectFrom('outbox').selectAll().where('decision_id', '=', row.id).execute();
      expect(outbox.map((o) => o.topic)).toEqual(['task.reassigned']);
      expect(JSON.parse(outbox[0]!.payload)).toMatchObject({
        taskId: task.id,
        assignee: 'bob',
        previousAssignee: 'alice',
      });
      const { rows } = await verifyChain(store);
      expect(rows.at(-1)).toMatchObject({ kind: 'override', subject: row.id });

      const toQueue = await store.commitOverride(
        override(task.id, { assignee: null, queue: 'triage', now: iso(9_500) }),
      );
      expect(toQueue).toMatchObject({ outcome: 'queued', supersedesId: row.id });
      expect(await store.getTask(TENANT, task.id)).toMatchObject({ status: 'queued', assignee: null, queue: 'triage' });
      expect((await store.readSnapshot(TENANT)).load).toEqual({});
      expect(await store.listDecisions(TENANT, task.id)).toHaveLength(3);
    });

    it('commitOverride on an unknown task throws TaskNotFound and writes nothing', async () => {
      const store = await fresh();
      await withAssignedTask(store);
      const before = await footprint(store);
      const err = await store.commitOverride(override('01NOSUCHTASK00000000000000')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskNotFound);
      expect((err as TaskNotFound).taskId).toBe('01NOSUCHTASK00000000000000');
      expect(await footprint(store)).toEqual(before);
    });

    it('isolates tenants: what tenant A wrote is invisible to tenant B through every read', async () => {
      const store = await fresh();
      const { task, event } = await withAssignedTask(store, TENANT);
      await store.commitOverride(override(task.id));
      const [doomed] = await ingestAndClaim(store, ['PAY-2']);
      await store.deadLetterEvent(doomed!, 'unparseable', iso(2_000));
      await store.db
        .insertInto('member_state')
        .values({ tenant_id: TENANT, member_id: 'carol', open_tasks: 0, away: 1 })
        .execute();
      const aBefore = await footprint(store, TENANT);

      const B = OTHER_TENANT;
      expect(await store.listTasks(B, { limit: 50 })).toEqual({ items: [], next: null });
      expect(await store.getTask(B, task.id)).toBeUndefined();
      expect(await store.findTaskByExternalId(B, 'PAY-1')).toBeUndefined();
      expect(await store.listDecisions(B, task.id)).toEqual([]);
      expect(await store.getEvent(B, event.id)).toBeUndefined();
      expect(await store.listDeadLetters(B, 50)).toEqual({ items: [], next: null });
      expect(await store.readSnapshot(B)).toEqual({ load: {}, away: {} });
      expect(await store.readAudit(B, 0, 100)).toEqual([]);
      expect(await store.auditHead(B)).toBeUndefined();
      await expect(store.commitOverride(override(task.id, { tenantId: B }))).rejects.toBeInstanceOf(TaskNotFound);
      expect(await footprint(store, TENANT)).toEqual(aBefore);

      // B may use the same external id and member ids without touching A.
      const b = await withAssignedTask(store, B);
      expect(b.task.externalId).toBe('PAY-1');
      expect((await store.readSnapshot(B)).load).toEqual({ alice: 1 });
      expect(await footprint(store, TENANT)).toEqual(aBefore);
      expect((await store.listTasks(B, { limit: 50 })).items.map((t) => t.id)).toEqual([b.task.id]);
      expect(await store.auditTenants()).toEqual([TENANT, B].sort());
    });

    it('the audit chain verifies from genesis and its head is the last entry', async () => {
      const store = await fresh();
      const { task } = await withAssignedTask(store);
      await store.commitOverride(override(task.id));
      const [dead] = await ingestAndClaim(store, ['PAY-2'], { now: T0 });
      await store.deadLetterEvent(dead!, 'unparseable', iso(2_000));
      await store.appendAudit(
        TENANT,
        { kind: 'policy.loaded', subject: POLICY_VERSION, data: { routes: 3 } },
        iso(3_000),
      );

      const chain = await verifyChain(store);
      expect(chain.break).toBeNull();
      expect(chain.rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(chain.rows.map((r) => r.kind)).toEqual(['decision', 'override', 'event.dead', 'policy.loaded']);
      expect(await store.auditHead(TENANT)).toEqual({ seq: chain.lastSeq, hash: chain.lastHash });
      expect(chain.rows.at(-1)?.hash).toBe(chain.lastHash);
      expect(await store.readAudit(TENANT, 2, 1)).toEqual([chain.rows[2]]);
    });

    it("concurrent appends to a new tenant's chain serialise into one unbroken chain", async () => {
      const store = await fresh();
      const n = 12;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.appendAudit('newco', { kind: 'note', subject: `n${i}`, data: { i } }, iso(i)),
        ),
      );
      const chain = await verifyChain(store, 'newco');
      expect(chain.break).toBeNull();
      expect(chain.lastSeq).toBe(n);
      expect(await store.auditHead('newco')).toEqual({ seq: n, hash: chain.lastHash });
    });

    it('a stored audit row altered after the fact no longer verifies', async () => {
      const store = await fresh();
      await withAssignedTask(store);
      await store.appendAudit(TENANT, { kind: 'note', subject: 'x', data: { n: 1 } }, iso(3_000));
      await store.db
        .updateTable('audit_log')
        .set({ data: '{"n":2}' })
        .where('tenant_id', '=', TENANT)
        .where('seq', '=', 2)
        .execute();
      expect((await verifyChain(store)).break).toMatchObject({ seq: 2, problem: 'hash_mismatch' });
    });

    it('readSnapshot reflects member_state (open tasks, away) and round-robin turns', async () => {
      const store = await fresh();
      const [e1, e2] = await ingestAndClaim(store, ['PAY-1', 'PAY-2']);
      await store.commitDecision(commitFor(e1!, assignedTo('alice', { route: 'rota', strategy: 'round_robin' })));
      await store.commitDecision(commitFor(e2!, assignedTo('alice')));
      await store.db
        .insertInto('member_state')
        .values([
          { tenant_id: TENANT, member_id: 'carol', open_tasks: 0, away: 1 },
          { tenant_id: TENANT, member_id: 'dave', open_tasks: 0, away: 0 },
        ])
        .execute();
      expect(await store.readSnapshot(TENANT)).toEqual({
        load: { alice: 2 },
        away: { carol: true },
        loadByType: { alice: { bug: 2 } },
        turns: { rota: { alice: 1 } },
      });
    });

    it('listTasks filters by status, assignee and external id, newest first, and pages with `next`', async () => {
      const store = await fresh();
      const evs = await ingestAndClaim(store, ['T-1', 'T-2', 'T-3', 'T-4', 'T-5']);
      const ids: string[] = [];
      for (const [i, ev] of evs.entries()) {
        const c = commitFor(ev, i % 2 === 0 ? assignedTo(i < 2 ? 'alice' : 'bob') : queuedIn('triage'));
        ids.push((await store.commitDecision(c)).taskId);
      }
      const newestFirst = [...ids].reverse();
      const p1 = await store.listTasks(TENANT, { limit: 2 });
      expect(p1.items.map((t) => t.id)).toEqual(newestFirst.slice(0, 2));
      const p2 = await store.listTasks(TENANT, { limit: 2, after: p1.next! });
      expect(p2.items.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));
      const p3 = await store.listTasks(TENANT, { limit: 2, after: p2.next! });
      expect(p3).toMatchObject({ items: [{ id: newestFirst[4] }], next: null });

      expect((await store.listTasks(TENANT, { limit: 10, status: 'queued' })).items.map((t) => t.externalId)).toEqual([
        'T-4',
        'T-2',
      ]);
      expect((await store.listTasks(TENANT, { limit: 10, assignee: 'bob' })).items.map((t) => t.externalId)).toEqual([
        'T-5',
        'T-3',
      ]);
      expect((await store.listTasks(TENANT, { limit: 10, externalId: 'T-1' })).items.map((t) => t.id)).toEqual([
        ids[0],
      ]);
    });

    it('listDeadLetters pages newest first', async () => {
      const store = await fresh();
      const evs = await ingestAndClaim(store, ['D-1', 'D-2', 'D-3']);
      for (const ev of evs) await store.deadLetterEvent(ev, `bad ${ev.id}`, iso(1_000));
      const p1 = await store.listDeadLetters(TENANT, 2);
      expect(p1.items.map((d) => d.refId)).toEqual([evs[2]!.id, evs[1]!.id]);
      const p2 = await store.listDeadLetters(TENANT, 2, p1.next!);
      expect(p2).toMatchObject({ items: [{ refId: evs[0]!.id }], next: null });
    });

    it('stores API keys by id, with their scopes', async () => {
      const store = await fresh();
      await store.insertApiKey(TENANT, 'key_01', 'ci', 'a'.repeat(64), iso());
      await store.insertApiKey(TENANT, 'key_03', 'reviewer', 'b'.repeat(64), iso(), ['policy:approve']);
      expect(await store.findApiKey('key_01')).toEqual({
        tenantId: TENANT,
        secretHash: 'a'.repeat(64),
        revoked: false,
        scopes: [],
      });
      expect((await store.findApiKey('key_03'))?.scopes).toEqual(['policy:approve']);
      expect(await store.findApiKey('key_02')).toBeUndefined();
      // Policy versions: test/policy.versions.store.test.ts.
    });
  });
}
