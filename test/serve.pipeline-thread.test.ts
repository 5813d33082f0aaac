/**
 * `serve` with the default role runs its pipeline and outbox workers in a worker thread
 * (src/cli/pipeline-thread-host.ts). Through a real child process on both stores: events are
 * routed, /metrics shows the thread's counters merged with the main thread's (process metrics
 * once), a SIGTERM stops both threads and exits 0; a function uploaded through the API (main
 * thread) is used by the very next decision (the thread's registry had it as missing since
 * boot); SWITCHYARD_PIPELINE_THREAD=0 routes on the main thread instead.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { openStore } from '../src/store/open-store.js';
import { killChildServers, startChildServer, stopChildServer } from './support/cli.js';
import { SECRETS } from './support/secrets.js';
import { signedHeaders, TEST_CONFIG_PATH, taskPayload, waitFor, waitUntilSettled } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

afterAll(killChildServers);

async function post(base: string, n: number) {
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify(taskPayload({ labels: ['payments'] }));
    const res = await fetch(`${base}/hooks/acme/tickets`, { method: 'POST', headers: signedHeaders(body), body });
    expect(res.status).toBe(202);
  }
}

/** switchyard_decisions_total summed over its outcomes (assigned, queued: the test config's capacities fill up). */
function decisionsCounted(metrics: string): number {
  const lines = metrics.match(/^switchyard_decisions_total\{[^}]*\} \d+$/gm) ?? [];
  return lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

for (const kind of STORES) {
  describe(`serve's pipeline thread (${kind})`, () => {
    it('routes every event, merges the thread’s metrics into /metrics and stops cleanly on SIGTERM', async () => {
      const dbUrl = await freshStoreUrl(kind);
      const store = await openStore(dbUrl);
      try {
        const server = await startChildServer(dbUrl, TEST_CONFIG_PATH);
        await post(server.base, 30);
        await waitUntilSettled(store, 30_000);
        const decided = await store.db.selectFrom('decisions').select('event_id').execute();
        expect(decided).toHaveLength(30);
        const metrics = await (await fetch(`${server.base}/metrics`)).text();
        // Counted on the main thread (intake) and in the pipeline thread (decisions), one exposition.
        expect(metrics).toMatch(/^switchyard_events_received_total\{tenant="acme",integration="tickets"\} 30$/m);
        expect(decisionsCounted(metrics)).toBe(30);
        expect(metrics.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
        expect(metrics.match(/^# TYPE switchyard_decisions_total /gm)).toHaveLength(1);
        const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
        await stopChildServer(server);
        expect(await exited).toBe(0);
      } finally {
        await store.close();
      }
    }, 90_000);

    it('a function uploaded through the API decides the next event at once, in the sandbox of the thread', async () => {
      const dbUrl = await freshStoreUrl(kind);
      const store = await openStore(dbUrl);
      try {
        const { key } = await createApiKey(store, 'shop', 'thread');
        const server = await startChildServer(dbUrl, 'examples/functions.yaml');
        const upload = await fetch(`${server.base}/api/v1/functions/release-freeze/versions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            kind: 'decide',
            runtime: 'javascript',
            source: readFileSync('examples/functions/release-freeze.js', 'utf8'),
            fields: { task: ['type', 'labels'], member: [] },
          }),
        });
        expect(upload.status, await upload.clone().text()).toBe(201);
        const body = JSON.stringify({ externalId: 'CHG-7', title: 'Deploy checkout 4.3', type: 'change' });
        const res = await fetch(`${server.base}/hooks/shop/changes`, {
          method: 'POST',
          headers: signedHeaders(body, { secret: SECRETS.shopChanges }),
          body,
        });
        expect(res.status).toBe(202);
        const decision = await waitFor(
          () => store.db.selectFrom('decisions').select(['detail']).executeTakeFirst(),
          30_000,
          'the decision',
        );
        const calls = (JSON.parse(decision.detail) as { functions?: Record<string, unknown>[] }).functions ?? [];
        expect(calls.map((c) => [c.name, c.version, c.outcome])).toContainEqual(['release-freeze', 1, 'ok']);
        await stopChildServer(server);
      } finally {
        await store.close();
      }
    }, 90_000);

    it('with SWITCHYARD_PIPELINE_THREAD=0 the main thread routes', async () => {
      const dbUrl = await freshStoreUrl(kind);
      const store = await openStore(dbUrl);
      try {
        const server = await startChildServer(dbUrl, TEST_CONFIG_PATH, { SWITCHYARD_PIPELINE_THREAD: '0' });
        await post(server.base, 3);
        await waitUntilSettled(store, 30_000);
        expect(await store.db.selectFrom('decisions').select('id').execute()).toHaveLength(3);
        const metrics = await (await fetch(`${server.base}/metrics`)).text();
        expect(decisionsCounted(metrics)).toBe(3);
        await stopChildServer(server);
      } finally {
        await store.close();
      }
    }, 90_000);
  });
}
