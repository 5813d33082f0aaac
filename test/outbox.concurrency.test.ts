/**
 * Two outbox workers, each with its own connection pool (two nodes), on one PostgreSQL
 * store: 100 webhook rows, each failing once with 503 and then accepted. Every row reaches
 * the receiver exactly once per attempt the database counted: no attempt is shared.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret, generateSecret, secretKeyFromEnv } from '../src/crypto/secret-box.js';
import { Metrics } from '../src/observability/metrics.js';
import { subscriptionSecretWhere } from '../src/outbox/targets/webhook.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { newId } from '../src/store/ids.js';
import { openStore } from '../src/store/open-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { type FakeSubscriber, startFakeSubscriber } from './support/fake-subscriber.js';
import { waitFor } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const ROWS = 100;

describe.runIf(STORES.includes('postgres'))('outbox workers on one PostgreSQL store', () => {
  let stores: SqlStore[] = [];
  let workers: OutboxWorker[] = [];
  let fake: FakeSubscriber;
  beforeAll(async () => {
    const url = await freshStoreUrl('postgres');
    stores = [await openStore(url), await openStore(url)];
    const seen = new Set<string>();
    fake = await startFakeSubscriber((r) => {
      const id = String(r.headers['webhook-id']);
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      return { status: 503 };
    });
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await fake.close();
    for (const s of stores) await s.close();
  });

  it('each row is delivered at most once per attempt, and every row is delivered', async () => {
    const [a, b] = stores;
    if (!a || !b) throw new Error('no stores');
    const subId = newId();
    const now = new Date().toISOString();
    await a.createSubscription({
      tenantId: 'acme',
      id: subId,
      url: fake.url,
      events: ['*'],
      encryptedSecret: encryptSecret(
        secretKeyFromEnv(),
        subscriptionSecretWhere('acme', subId),
        generateSecret('generic'),
      ),
      actor: 'test',
      now,
    });
    await a.db
      .insertInto('outbox')
      .values(
        Array.from({ length: ROWS }, (_, i) => ({
          tenant_id: 'acme',
          id: newId(),
          decision_id: `D-${i}`,
          topic: 'task.assigned',
          target: `webhook:${subId}`,
          idempotency_key: `D-${i}:subscribers:task.assigned:${subId}`,
          payload: JSON.stringify({ n: i }),
          status: 'pending',
          next_attempt_at: now,
          created_at: now,
        })),
      )
      .execute();
    const log = pino({ level: 'silent' });
    const metrics = stores.map(() => new Metrics());
    workers = stores.map(
      (store, i) =>
        new OutboxWorker(
          { store, metrics: metrics[i] as Metrics, log },
          // Every row fails once on purpose: no breaker pausing the receiver.
          { pollMs: 5, batchSize: 7, retry: { baseMs: 1, capMs: 5 }, breaker: false },
        ),
    );
    for (const w of workers) w.start();
    await waitFor(async () => {
      const open = await a.db.selectFrom('outbox').select('id').where('status', '!=', 'delivered').execute();
      return open.length === 0;
    }, 30_000);

    const rows = await a.db.selectFrom('outbox').select(['idempotency_key', 'attempts']).execute();
    const counts = fake.countsById();
    expect(counts.size).toBe(ROWS);
    for (const r of rows) {
      expect(r.attempts).toBe(2);
      expect(counts.get(r.idempotency_key)).toBe(2);
    }
    expect(fake.received).toHaveLength(2 * ROWS);
    // Both nodes took part.
    for (const m of metrics) expect((await m.deliveryAttempts.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
  });
});
