/**
 * Outbound webhooks through the outbox, over real HTTP to fake receivers: retried transient
 * failures arrive once delivered with one stable `webhook-id`; a 4xx is dead-lettered and can
 * be retried; signatures verify with the `standardwebhooks` package; Retry-After is honoured
 * (with an injected clock, not by sleeping); a failed notification never touches the decision.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeSubscriber, startFakeSubscriber } from './support/fake-subscriber.js';
import { postEvent, taskPayload, useTestServer, waitFor, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

for (const kind of STORES) {
  describe(`outbox webhooks (${kind})`, () => {
    let offsetMs = 0;
    const fakes: FakeSubscriber[] = [];
    const { server: t, api } = useTestServer(kind, {
      clock: () => new Date(Date.now() + offsetMs),
      // Fails a receiver five times in a row on purpose: no breaker pausing it (test/outbox.breaker.test.ts).
      outboxOptions: { pollMs: 10, retry: { baseMs: 1, capMs: 20 }, breaker: false },
    });
    afterAll(async () => {
      for (const f of fakes) await f.close();
    });

    const del = (path: string) => api(path, undefined, { method: 'DELETE' });

    async function subscribe(fake: FakeSubscriber, events = ['task.assigned']) {
      const res = await api('/subscriptions', { url: fake.url, events });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; secret: string };
    }

    /** Post a task, wait for its decision; the webhook row it fans out to, once written. */
    async function decideOne(subscriptionId: string) {
      const externalId = `OB-${randomBytes(4).toString('hex')}`;
      expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId }))).status).toBe(202);
      await waitUntilSettled(t.store);
      const task = (await t.store.listTasks('acme', { externalId, limit: 1 })).items[0];
      if (!task) throw new Error('no task');
      const row = await waitFor(
        () =>
          t.store.db
            .selectFrom('outbox')
            .selectAll()
            .where('tenant_id', '=', 'acme')
            .where('decision_id', '=', task.currentDecisionId)
            .where('target', '=', `webhook:${subscriptionId}`)
            .executeTakeFirst(),
        10_000,
        'the fan-out row',
      );
      return { task, row };
    }

    const outboxRow = (id: string) =>
      t.store.db
        .selectFrom('outbox')
        .selectAll()
        .where('tenant_id', '=', 'acme')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    const auditCount = async () => (await t.store.readAudit('acme', 0, 10_000)).length;

    it('502 five times then 200: delivered once, one webhook-id, signed, the decision untouched', async () => {
      const fake = await startFakeSubscriber((_r, n) => ({ status: n <= 5 ? 502 : 200 }));
      fakes.push(fake);
      const sub = await subscribe(fake);
      expect(sub.secret).toMatch(/^whsec_/);
      const { task, row } = await decideOne(sub.id);
      const auditBefore = await auditCount();
      const delivered = await waitFor(async () => {
        const r = await outboxRow(row.id);
        return r.status === 'delivered' ? r : undefined;
      });
      expect(delivered.attempts).toBe(6);
      expect(delivered.delivered_at).not.toBeNull();
      expect(fake.received).toHaveLength(6);
      expect([...fake.countsById()]).toEqual([[row.idempotency_key, 6]]);

      const last = fake.received[5];
      if (!last) throw new Error('no request');
      const wh = new Webhook(sub.secret);
      const headers = last.headers as Record<string, string>;
      const body = wh.verify(last.body, headers) as { type: string; data: { taskId: string; assignee: string } };
      expect(body.type).toBe('task.assigned');
      expect(body.data.taskId).toBe(task.id);
      expect(() => wh.verify(last.body.replace(task.id, 'someone-else'), headers)).toThrow();
      expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(last.body, headers)).toThrow();

      expect(await t.store.getTask('acme', task.id)).toEqual(task);
      expect(await t.store.listDecisions('acme', task.id)).toHaveLength(1);
      // The attempts are visible on the task.
      const detail = (await (await api(`/tasks/${task.id}`)).json()) as {
        deliveries: { idempotencyKey: string; status: string; attempts: number }[];
      };
      expect(detail.deliveries.find((d) => d.idempotencyKey === row.idempotency_key)).toMatchObject({
        status: 'delivered',
        attempts: 6,
      });
      expect(await auditCount()).toBe(auditBefore);
      expect(await t.server.metrics.registry.getSingleMetricAsString('switchyard_outbox_deliveries_total')).toMatch(
        /target="webhook",outcome="retried"} 5/,
      );
      expect((await del(`/subscriptions/${sub.id}`)).status).toBe(204);
    });

    it('a 400 is dead-lettered after one attempt; retrying the dead letter delivers it once the receiver is fixed', async () => {
      let fixed = false;
      const fake = await startFakeSubscriber(() => ({ status: fixed ? 200 : 400 }));
      fakes.push(fake);
      const sub = await subscribe(fake);
      const { task, row } = await decideOne(sub.id);
      const dead = await waitFor(async () => {
        const r = await outboxRow(row.id);
        return r.status === 'dead' ? r : undefined;
      });
      expect(dead.attempts).toBe(1);
      expect(fake.received).toHaveLength(1);
      const letters = (await (await api('/dead-letters')).json()) as {
        items: { id: string; kind: string; refId: string; reason: string }[];
      };
      const letter = letters.items.find((l) => l.refId === row.id);
      expect(letter).toMatchObject({ kind: 'delivery', reason: expect.stringContaining('400') });
      const audit = await t.store.readAudit('acme', 0, 10_000);
      expect(audit.filter((a) => a.kind === 'delivery.dead' && a.subject === row.id)).toHaveLength(1);
      expect(await t.store.getTask('acme', task.id)).toEqual(task);

      fixed = true;
      expect((await api(`/dead-letters/${letter?.id}/retry`, {})).status).toBe(202);
      await waitFor(async () => (await outboxRow(row.id)).status === 'delivered');
      expect([...fake.countsById()]).toEqual([[row.idempotency_key, 2]]);
      expect((await api(`/dead-letters/${letter?.id}/retry`, {})).status).toBe(404);
      const after = await t.store.readAudit('acme', 0, 10_000);
      expect(after.filter((a) => a.kind === 'delivery.retried' && a.subject === row.id)).toHaveLength(1);
      expect(await t.store.getTask('acme', task.id)).toEqual(task);
      expect((await del(`/subscriptions/${sub.id}`)).status).toBe(204);
    });

    it('event dead letters answer 409 to retry and can be discarded (audited)', async () => {
      await t.store.db
        .insertInto('dead_letters')
        .values({
          tenant_id: 'acme',
          id: 'DL-EVENT-1',
          kind: 'event',
          ref_id: 'EV-1',
          reason: 'bad',
          created_at: new Date().toISOString(),
        })
        .execute();
      const retry = await api('/dead-letters/DL-EVENT-1/retry', {});
      expect(retry.status).toBe(409);
      expect(((await retry.json()) as { type: string }).type).toBe('urn:switchyard:problem:event-retry-unsupported');
      expect((await api('/dead-letters/DL-EVENT-1/discard', {})).status).toBe(204);
      expect((await api('/dead-letters/DL-EVENT-1/discard', {})).status).toBe(404);
      const audit = await t.store.readAudit('acme', 0, 10_000);
      expect(audit.filter((a) => a.kind === 'dead_letter.discarded' && a.subject === 'EV-1')).toHaveLength(1);
    });

    it('subscriptions: http(s) only, listed without secrets, ping answers the receiver status, 503 without a key', async () => {
      const fake = await startFakeSubscriber(() => ({ status: 204 }));
      fakes.push(fake);
      expect((await api('/subscriptions', { url: 'ftp://example.com/x', events: ['*'] })).status).toBe(422);
      expect((await api('/subscriptions', { url: 'not a url', events: ['*'] })).status).toBe(422);
      expect((await api('/subscriptions', { url: fake.url, events: [] })).status).toBe(400);
      const sub = await subscribe(fake, ['*']);
      const list = (await (await api('/subscriptions')).json()) as { items: Record<string, unknown>[] };
      expect(list.items).toEqual([{ id: sub.id, url: fake.url, events: ['*'], createdAt: expect.any(String) }]);
      const ping = await api(`/subscriptions/${sub.id}/test`, {});
      expect(await ping.json()).toEqual({ status: 204 });
      const received = fake.received[0];
      expect(
        new Webhook(sub.secret).verify(received?.body ?? '', received?.headers as Record<string, string>),
      ).toMatchObject({ type: 'ping' });
      expect((await api('/subscriptions/nope/test', {})).status).toBe(404);
      expect((await del(`/subscriptions/${sub.id}`)).status).toBe(204);
      expect((await del(`/subscriptions/${sub.id}`)).status).toBe(404);

      const saved = process.env.SWITCHYARD_SECRET_KEY;
      delete process.env.SWITCHYARD_SECRET_KEY;
      try {
        const res = await api('/subscriptions', { url: fake.url, events: ['*'] });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { type: string }).type).toBe('urn:switchyard:problem:secret-key-not-set');
      } finally {
        process.env.SWITCHYARD_SECRET_KEY = saved;
      }
    });

    it('Retry-After is honoured: no attempt before it, delivered once the (injected) clock passes it', async () => {
      const fake = await startFakeSubscriber((_r, n) =>
        n === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 },
      );
      fakes.push(fake);
      const sub = await subscribe(fake);
      const { row } = await decideOne(sub.id);
      const waiting = await waitFor(async () => {
        const r = await outboxRow(row.id);
        return r.attempts === 1 && r.lease_owner === null ? r : undefined;
      });
      const first = fake.received[0];
      if (!first) throw new Error('no request');
      expect(waiting.status).toBe('pending');
      expect(Date.parse(waiting.next_attempt_at)).toBeGreaterThanOrEqual(first.at + 3_600_000);
      expect(waiting.last_error).toContain('429');
      offsetMs = 3_600_000 + 60_000;
      await waitFor(async () => (await outboxRow(row.id)).status === 'delivered');
      expect([...fake.countsById()]).toEqual([[row.idempotency_key, 2]]);
    });
  });
}
