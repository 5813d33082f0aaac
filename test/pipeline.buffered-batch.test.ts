/**
 * The pipeline's buffered batch (store.bufferedBatch, queries/buffered-writes.ts) must write
 * exactly what committing the batch event by event writes. The same 150 events — new tasks
 * for capacity-limited, per-type-limited and round-robin routes, and repeats of earlier
 * external ids that merge, some inside the same batch — are taken in with no worker running,
 * then routed in full batches by a worker whose store has the buffered path (a) as built and
 * (b) switched off, on two fresh stores. Every task, counter, turn, cursor and the audit
 * chain must come out the same; (a) never fell back, (b) always did.
 */
import { describe, expect, it } from 'vitest';
import { verifyTenantAudit } from '../src/audit/verify-store.js';
import type { Store } from '../src/store/store.js';
import { SECRETS } from './support/secrets.js';
import { postEvent, startTestServer, taskPayload, waitUntilSettled } from './support/server.js';
import { freshStoreUrl, STORES, type StoreKind } from './support/stores.js';

const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: m1, capacity: 6, capacityByType: { incident: 2 } }
      - { id: m2, capacity: 5, capacityByType: { incident: 3 } }
      - { id: m3, capacity: 4 }
      - { id: r1, capacity: 1000 }
      - { id: r2, capacity: 1000 }
      - { id: r3, capacity: 1000 }
    policy:
      fallbackQueue: overflow
      routes:
        - { name: spread, when: { field: labels, contains: spread }, strategy: least_loaded, members: [m1, m2, m3] }
        - { name: rotate, when: { field: labels, contains: rotate }, strategy: round_robin, members: [r1, r2, r3] }
`;

/** Event i: a new task or a repeat (merge) of an earlier one; deterministic. */
function payload(i: number): Record<string, unknown> {
  const repeat = i % 7 === 3 ? i - 1 - (i % 5) : i; // repeats of an event 1–5 earlier: often the same batch
  const route = repeat % 3 === 0 ? 'rotate' : 'spread';
  return taskPayload({
    externalId: `B-${repeat}`,
    title: `task ${repeat} (delivery ${i})`,
    labels: [route],
    ...(repeat % 4 === 1 ? { type: 'incident' } : {}),
  });
}

async function route(kind: StoreKind, buffered: boolean) {
  const storeUrl = await freshStoreUrl(kind);
  const intake = await startTestServer(kind, { configYaml: CONFIG, storeUrl, worker: false });
  for (let i = 0; i < 150; i++) {
    const res = await postEvent(intake.base, '/hooks/acme/tickets', payload(i));
    expect(res.status).toBe(202);
  }
  await intake.close();
  const off = (s: Store): Store => ({
    ...s,
    bufferedBatch: () => Promise.reject(new Error('buffered batches are off in this run')),
  });
  const t = await startTestServer(kind, {
    configYaml: CONFIG,
    storeUrl,
    ...(buffered ? {} : { wrapStore: off }),
  });
  try {
    await waitUntilSettled(t.store, 30_000);
    const db = t.store.db;
    const tasks = await db
      .selectFrom('tasks')
      .select(['external_id', 'assignee', 'status', 'queue', 'title', 'type'])
      .orderBy('external_id')
      .execute();
    const events = await db.selectFrom('events').select(['status']).execute();
    const decisionsPerEvent = await db
      .selectFrom('decisions')
      .select(({ fn }) => ['event_id', fn.countAll<number>().as('n')])
      .groupBy('event_id')
      .execute();
    const counters = {
      members: await db.selectFrom('member_state').select(['member_id', 'open_tasks']).orderBy('member_id').execute(),
      typed: await db
        .selectFrom('member_type_load')
        .select(['member_id', 'task_type', 'open_tasks'])
        .where('open_tasks', '>', 0)
        .orderBy('member_id')
        .execute(),
      turns: await db.selectFrom('route_turns').select(['route', 'member_id', 'turn']).orderBy('member_id').execute(),
      cursors: await db.selectFrom('route_cursors').select(['route', 'member_id', 'turn']).execute(),
    };
    const outbox = await db.selectFrom('outbox').select(['target', 'topic']).execute();
    const audit = await verifyTenantAudit(t.store, 'acme');
    const fallbacks = (await t.server.metrics.batchFallbacks.get()).values.reduce((n, v) => n + v.value, 0);
    return {
      tasks,
      statuses: events.map((e) => e.status).sort(),
      decisionsPerEvent: decisionsPerEvent.map((d) => Number(d.n)),
      counters,
      outbox: outbox.map((o) => `${o.target} ${o.topic}`).sort(),
      audit,
      fallbacks,
    };
  } finally {
    await t.close();
  }
}

for (const kind of STORES) {
  describe(`the buffered pipeline batch (${kind})`, () => {
    it('writes what committing event by event writes, and never falls back on one node', async () => {
      const fast = await route(kind, true);
      const careful = await route(kind, false);
      expect(fast.fallbacks).toBe(0);
      expect(careful.fallbacks).toBeGreaterThan(0);
      expect(fast.tasks.length).toBeGreaterThan(100);
      expect(fast.tasks).toEqual(careful.tasks);
      expect(fast.statuses).toEqual(careful.statuses);
      expect(fast.statuses.filter((s) => s === 'merged').length).toBeGreaterThan(10);
      expect(fast.decisionsPerEvent.every((n) => n === 1)).toBe(true);
      expect(fast.counters).toEqual(careful.counters);
      // Capacity held: the spread route filled up and the rest queued.
      expect(fast.tasks.some((x) => x.status === 'queued')).toBe(true);
      expect(fast.outbox).toEqual(careful.outbox);
      expect(fast.audit.ok).toBe(true);
      expect(fast.audit.entries).toBe(careful.audit.entries);
    }, 120_000);
  });
}
