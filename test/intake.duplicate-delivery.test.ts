/**
 * Invariant 2: unique (tenant, integration, dedupe key). Concurrent duplicates of one
 * delivery produce one event and one decision; the rest are answered 200 and counted.
 */
import { describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

for (const kind of STORES) {
  describe(`duplicate deliveries (${kind})`, () => {
    const { server: t } = useTestServer(kind);

    async function decisionsFor(eventId: string) {
      return t.store.db.selectFrom('decisions').selectAll().where('event_id', '=', eventId).execute();
    }

    it('50 concurrent deliveries of one webhook-id: one 202, 49 duplicates, exactly one decision', async () => {
      const payload = taskPayload();
      const id = `msg_concurrent_${Date.now()}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => postEvent(t.base, '/hooks/acme/tickets', payload, { id, timestamp })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 202)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      const eventIds = new Set(results.map((r) => r.body.eventId));
      expect(eventIds.size).toBe(1);
      const eventId = [...eventIds][0] as string;
      expect(results.filter((r) => r.status === 200).every((r) => r.body.status === 'duplicate')).toBe(true);

      await waitFor(async () => (await t.store.getEvent('acme', eventId))?.status === 'decided', 20_000, 'decision');
      expect(await decisionsFor(eventId)).toHaveLength(1);
      expect((await t.store.getEvent('acme', eventId))?.duplicates).toBe(49);
      const tasks = await t.store.listTasks('acme', { externalId: payload.externalId as string, limit: 10 });
      expect(tasks.items).toHaveLength(1);
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_events_duplicate_total\{tenant="acme",integration="tickets"\} 49/);
    });

    it('a redelivery after the decision is still a duplicate and changes nothing', async () => {
      const payload = taskPayload();
      const id = `msg_late_${Date.now()}`;
      const first = await postEvent(t.base, '/hooks/acme/tickets', payload, { id });
      expect(first.status).toBe(202);
      const eventId = first.body.eventId as string;
      await waitFor(async () => (await t.store.getEvent('acme', eventId))?.status === 'decided', 20_000, 'decision');
      const again = await postEvent(t.base, '/hooks/acme/tickets', payload, { id });
      expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', eventId } });
      expect(await decisionsFor(eventId)).toHaveLength(1);
    });

    it('the same webhook-id for another tenant or integration is not a duplicate', async () => {
      const id = `msg_shared_${Date.now()}`;
      const a = await postEvent(t.base, '/hooks/acme/tickets', taskPayload(), { id });
      const b = await postEvent(t.base, '/hooks/globex/tickets', taskPayload(), { id, secret: SECRETS.globex });
      expect([a.status, b.status]).toEqual([202, 202]);
    });

    it('dedupes on a configured payload path regardless of webhook-id', async () => {
      const ticket = { ticket: { id: 9001, subject: 'Card declined', urgent: true, tags: ['payments'] } };
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          postEvent(t.base, '/hooks/acme/helpdesk', ticket, { secret: SECRETS.helpdesk }),
        ),
      );
      expect(results.filter((r) => r.status === 202)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(9);
      const task = await waitFor(
        async () => (await t.store.listTasks('acme', { externalId: 'HD-9001', limit: 1 })).items[0],
        20_000,
        'task HD-9001',
      );
      expect(task.task).toMatchObject({
        externalId: 'HD-9001',
        title: 'Card declined',
        priority: 1,
        labels: ['payments'],
      });
    });
  });
}
