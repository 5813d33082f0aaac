/** Dead letters in bulk: POST /api/v1/dead-letters/retry by filter, and `switchyard dead-letters` on the store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { type FakeSubscriber, startFakeSubscriber } from './support/fake-subscriber.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

for (const kind of STORES) {
  describe(`dead letters in bulk (${kind})`, () => {
    const { server: t, api } = useTestServer(kind, { outboxOptions: { pollMs: 10 } });
    let fake: FakeSubscriber;
    let status = 410;
    beforeAll(async () => {
      fake = await startFakeSubscriber(() => ({ status }));
    });
    afterAll(async () => {
      await fake.close();
    });
    const deadHooks = async () =>
      (await t.store.db.selectFrom('outbox').select('id').where('status', '=', 'dead').execute()).length;

    it('retries by filter over the API and the CLI, audited; discards and lists from the CLI', async () => {
      expect((await api('/subscriptions', { url: fake.url, events: ['task.assigned', 'task.queued'] })).status).toBe(
        201,
      );
      for (let i = 0; i < 4; i++)
        expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ labels: ['misc'] }))).status).toBe(202);
      await waitFor(async () => (await deadHooks()) === 4, 20_000, 'four dead webhooks');

      expect(await (await api('/dead-letters/retry', { target: 'slack' })).json()).toEqual({ retried: 0 });
      expect(await (await api('/dead-letters/retry', { since: '2999-01-01T00:00:00Z' })).json()).toEqual({
        retried: 0,
      });
      expect((await api('/dead-letters/retry', { limit: 1001 })).status).toBe(400);
      const one = await api('/dead-letters/retry', { kind: 'delivery', target: 'webhook', limit: 1 });
      expect(await one.json()).toEqual({ retried: 1 });
      await waitFor(async () => (await deadHooks()) === 4, 20_000, 'dead again');

      const db = ['--db', t.storeUrl];
      const listed = await runCli(['dead-letters', 'list', '--kind', 'delivery', '--json', ...db]);
      expect(listed.code).toBe(0);
      const items = JSON.parse(listed.stdout) as { id: string; tenant: string }[];
      expect(items).toHaveLength(4);
      const discarded = await runCli(['dead-letters', 'discard', items[0]!.id, ...db]);
      expect(discarded.code, discarded.stderr).toBe(0);

      status = 200;
      const single = await runCli(['dead-letters', 'retry', items[1]!.id, ...db]);
      expect(single.code, single.stderr).toBe(0);
      const all = await runCli(['dead-letters', 'retry', '--all', '--target', 'webhook', ...db]);
      expect(all.stdout).toContain('retried 2 dead letters');
      t.server.outbox?.wake();
      await waitFor(async () => (await deadHooks()) === 1, 20_000, 'three delivered');
      expect((await runCli(['dead-letters', 'retry', 'nope', ...db])).code).toBe(1);

      const audit = await t.store.db.selectFrom('audit_log').select(['kind', 'data']).execute();
      const retried = audit.filter((a) => a.kind === 'delivery.retried').map((a) => JSON.parse(String(a.data)).actor);
      expect(retried.filter((a) => a === 'cli')).toHaveLength(3);
      expect(retried.filter((a) => String(a).startsWith('apikey:'))).toHaveLength(1);
      expect(audit.filter((a) => a.kind === 'dead_letter.discarded')).toHaveLength(1);
    });
  });
}
