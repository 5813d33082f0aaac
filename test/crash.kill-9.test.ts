/**
 * Invariant 1 under a crash: kill -9 the server while 1,000 events are being posted. After a
 * restart, every event that got a 2xx has exactly one decision, and no event is left half
 * written or stuck.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { killChildServers, startChildServer, stopChildServer } from './support/cli.js';
import { signedHeaders, TEST_CONFIG_PATH, taskPayload, waitUntilSettled } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const TOTAL = 1000;
const CONCURRENCY = 50;
const KILL_AFTER_ACKS = 300;

afterAll(killChildServers);

for (const kind of STORES) {
  describe(`kill -9 during intake (${kind})`, () => {
    it('every acknowledged event has exactly one decision after a restart', async () => {
      const dbUrl = await freshStoreUrl(kind);
      const first = await startChildServer(dbUrl, TEST_CONFIG_PATH, { SWITCHYARD_EVENT_LEASE_MS: '1000' });
      const acked = new Map<string, string>(); // externalId → eventId
      let killed = false;
      let next = 0;
      const sendOne = async (): Promise<void> => {
        while (next < TOTAL) {
          const payload = taskPayload({ externalId: `CRASH-${next++}`, labels: ['misc'] });
          const body = JSON.stringify(payload);
          try {
            const res = await fetch(`${first.base}/hooks/acme/tickets`, {
              method: 'POST',
              headers: signedHeaders(body),
              body,
            });
            const json = (await res.json()) as { eventId?: string };
            if (res.status === 202 || res.status === 200)
              acked.set(payload.externalId as string, json.eventId as string);
          } catch {
            // The server died under us: this delivery was never acknowledged.
          }
          if (!killed && acked.size >= KILL_AFTER_ACKS) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, sendOne));
      expect(killed).toBe(true);
      expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(acked.size).toBeLessThan(TOTAL);

      const second = await startChildServer(dbUrl, TEST_CONFIG_PATH, { SWITCHYARD_EVENT_LEASE_MS: '1000' });
      const store = await openStore(dbUrl);
      try {
        await waitUntilSettled(store, 60_000);

        const events = await store.db.selectFrom('events').select(['id', 'status']).execute();
        const decisions = await store.db.selectFrom('decisions').select(['event_id']).execute();
        const perEvent = new Map<string, number>();
        for (const d of decisions) perEvent.set(d.event_id as string, (perEvent.get(d.event_id as string) ?? 0) + 1);

        for (const [externalId, eventId] of acked) {
          expect(perEvent.get(eventId), `acked ${externalId} (${eventId})`).toBe(1);
        }
        // Events stored but not acknowledged (the kill hit between commit and reply) are decided too:
        expect(events.every((e) => e.status === 'decided')).toBe(true);
        expect(decisions).toHaveLength(events.length);
        const tasks = await store.db.selectFrom('tasks').select('external_id').execute();
        expect(new Set(tasks.map((t) => t.external_id)).size).toBe(tasks.length);
      } finally {
        await stopChildServer(second);
        await store.close();
      }
    });
  });
}
