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

    it('a burst mixing new deliveries, concurrent duplicates and redeliveries of an earlier one: same answers, counts and one decision each', async () => {
      const stamp = Date.now();
      const earlier = taskPayload();
      const first = await postEvent(t.base, '/hooks/acme/tickets', earlier, { id: `msg_mix_x_${stamp}` });
      expect(first.status).toBe(202);
      const x = first.body.eventId as string;
      const repeated = taskPayload();
      const distinct = Array.from({ length: 4 }, () => taskPayload());
      const post = (payload: Record<string, unknown>, id: string) =>
        postEvent(t.base, '/hooks/acme/tickets', payload, { id });
      const [ys, xs, zs] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, () => post(repeated, `msg_mix_y_${stamp}`))),
        Promise.all(Array.from({ length: 3 }, () => post(earlier, `msg_mix_x_${stamp}`))),
        Promise.all(distinct.map((p, i) => post(p, `msg_mix_z${i}_${stamp}`))),
      ]);
      expect(ys.filter((r) => r.status === 202)).toHaveLength(1);
      const y = ys.find((r) => r.status === 202)!.body.eventId as string;
      expect(ys.filter((r) => r.status === 200)).toEqual(
        Array.from({ length: 4 }, () => expect.objectContaining({ body: { status: 'duplicate', eventId: y } })),
      );
      expect(xs.map((r) => [r.status, r.body])).toEqual(
        Array.from({ length: 3 }, () => [200, { status: 'duplicate', eventId: x }]),
      );
      expect(zs.map((r) => r.status)).toEqual([202, 202, 202, 202]);
      const z = zs.map((r) => r.body.eventId as string);
      expect(new Set([x, y, ...z]).size).toBe(6);

      for (const id of [x, y, ...z]) {
        await waitFor(async () => (await t.store.getEvent('acme', id))?.status === 'decided', 20_000, `decision ${id}`);
        expect(await decisionsFor(id), id).toHaveLength(1);
        // Routed on its first attempt: handed or claimed once, never claimed again.
        expect((await t.store.getEvent('acme', id))?.attempts, id).toBe(1);
      }
      expect((await t.store.getEvent('acme', x))?.duplicates).toBe(3);
      expect((await t.store.getEvent('acme', y))?.duplicates).toBe(4);
      expect(await Promise.all(z.map(async (id) => (await t.store.getEvent('acme', id))?.duplicates))).toEqual([
        0, 0, 0, 0,
      ]);
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
