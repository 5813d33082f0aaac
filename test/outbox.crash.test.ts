/**
 * The outbox under a crash: 500 webhooks owed, kill -9 the server while they are in flight,
 * restart. Every effect reaches the receiver at least once, and every duplicate carries the
 * webhook-id of an earlier delivery (unique ids == effects), so a receiver can drop it.
 * The events are taken in by a `--role web` server first (which must deliver nothing), so the
 * kill lands during delivery, not intake.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { openStore } from '../src/store/open-store.js';
import { type ChildServer, killChildServers, startChildServer, stopChildServer } from './support/cli.js';
import { signedHeaders, TEST_CONFIG_PATH, taskPayload, waitFor, waitUntilSettled } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const TOTAL = 500;
const KILL_AFTER = 100;
const ENV = {
  SWITCHYARD_EVENT_LEASE_MS: '1000',
  SWITCHYARD_OUTBOX_LEASE_MS: '1000',
};

afterAll(killChildServers);

/** Records the webhook-id of every request; answers 200 after a tiny delay; calls onRequest first. */
async function receiver(onRequest: (n: number) => void) {
  const ids: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['webhook-id']));
      onRequest(ids.length);
      setTimeout(() => res.writeHead(200).end('ok'), 3);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { ids, url, close };
}

for (const kind of STORES) {
  describe(`kill -9 during outbox delivery (${kind})`, () => {
    it('every owed webhook arrives at least once; duplicates share the webhook-id', async () => {
      const dbUrl = await freshStoreUrl(kind);
      const store = await openStore(dbUrl);
      let victim: ChildServer | null = null;
      let killedAt = 0;
      let victimExited: Promise<unknown> | null = null;
      const fake = await receiver((n) => {
        if (victim && killedAt === 0 && n >= KILL_AFTER) {
          killedAt = n;
          // Listen before killing: a killed child has signalCode set, not exitCode, and an
          // 'exit' listener added after the event never fires (this hung the test 1 in 3).
          victimExited = new Promise((r) => victim?.child.once('exit', r));
          victim.child.kill('SIGKILL');
        }
      });
      try {
        const { key } = await createApiKey(store, 'acme', 'crash');
        const web = await startChildServer(dbUrl, TEST_CONFIG_PATH, ENV, ['--role', 'web']);
        const sub = await fetch(`${web.base}/api/v1/subscriptions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: fake.url, events: ['*'] }),
        });
        expect(sub.status).toBe(201);
        let next = 0;
        const post = async () => {
          while (next < TOTAL) {
            const body = JSON.stringify(taskPayload({ externalId: `OBX-${next++}`, labels: ['misc'] }));
            const res = await fetch(`${web.base}/hooks/acme/tickets`, {
              method: 'POST',
              headers: signedHeaders(body),
              body,
            });
            expect(res.status).toBe(202);
          }
        };
        await Promise.all(Array.from({ length: 20 }, post));
        await stopChildServer(web);
        expect(fake.ids).toHaveLength(0); // the web role runs no outbox worker

        victim = await startChildServer(dbUrl, TEST_CONFIG_PATH, ENV);
        await waitFor(async () => killedAt > 0, 30_000, 'the kill');
        await victimExited;
        const atKill = fake.ids.length;
        const second = await startChildServer(dbUrl, TEST_CONFIG_PATH, ENV);
        try {
          await waitUntilSettled(store, 30_000);
          await waitFor(
            async () => {
              const rows = await store.db.selectFrom('outbox').select(['target', 'status']).execute();
              const hooks = rows.filter((r) => r.target.startsWith('webhook:'));
              return hooks.length === TOTAL && rows.every((r) => r.status === 'delivered');
            },
            40_000,
            'every outbox row delivered',
          );
        } finally {
          await stopChildServer(second);
        }
        const unique = new Set(fake.ids);
        expect(atKill).toBeGreaterThanOrEqual(KILL_AFTER);
        expect(atKill).toBeLessThan(TOTAL);
        expect(unique.size).toBe(TOTAL);
        const keys = await store.db
          .selectFrom('outbox')
          .select('idempotency_key')
          .where('target', 'like', 'webhook:%')
          .execute();
        expect(new Set(keys.map((k) => k.idempotency_key))).toEqual(unique);
      } finally {
        await fake.close();
        await store.close();
      }
    }, 90_000);
  });
}
