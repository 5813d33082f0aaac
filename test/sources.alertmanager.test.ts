/**
 * The Alertmanager source over real HTTP on both stores: one incident task per alert group,
 * repeat notifications answered as duplicates, resolved closes, firing again reopens, and every
 * unauthenticated or malformed delivery refused with nothing written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer, waitFor, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8'));
const FIRING = fixture('firing');
const RESOLVED = fixture('resolved');
const TOKEN = SOURCE_SECRETS.alertmanager.current;
const EXTERNAL_ID = `alert:${createHash('sha256').update(FIRING.groupKey).digest('hex').slice(0, 24)}`;

const CONFIG = `
tenants:
  - id: acme
    integrations:
      - id: alerts
        type: alertmanager
        secrets:
          - ${TOKEN}
          - ${SOURCE_SECRETS.alertmanager.previous}
          - { value: ${SOURCE_SECRETS.alertmanager.expired}, expiresAt: "2020-01-01T00:00:00Z" }
      - id: custom
        type: alertmanager
        secrets: [${TOKEN}]
        transform: |
          { "externalId": "AM-" & commonLabels.alertname, "title": "[" & $status & "] " & commonLabels.alertname, "priority": 2 }
    members:
      - { id: alice, capacity: 2 }
      - { id: bob, capacity: 2 }
    policy:
      fallbackQueue: triage
      routes:
        - name: incidents
          when: { field: type, eq: incident }
          strategy: least_loaded
          members: [alice, bob]
`;

for (const kind of STORES) {
  describe(`alertmanager source (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: CONFIG });

    const post = (payload: unknown, headers: Record<string, string> = {}, path = '/hooks/acme/alerts') =>
      fetch(`${t.base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Alertmanager/0.28.1',
          authorization: `Bearer ${TOKEN}`,
          ...headers,
        },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const task = async (externalId = EXTERNAL_ID) => (await t.store.listTasks('acme', { externalId, limit: 5 })).items;
    const load = async (member: string) => (await t.store.readSnapshot('acme')).load[member] ?? 0;

    it('the documented firing notification becomes one incident task, routed', async () => {
      const res = await post(FIRING);
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ status: 'accepted' });
      await waitUntilSettled(t.store);
      const tasks = await task();
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ status: 'assigned', assignee: 'alice', priority: 1, integration: 'alerts' });
      expect(tasks[0]?.task).toEqual({
        externalId: EXTERNAL_ID,
        title: 'Checkout health probe is failing',
        type: 'incident',
        priority: 1,
        labels: ['alertname:ProbeFailure', 'severity:critical', 'team:payments', 'service:checkout', 'job:blackbox'],
        component: 'checkout',
        url: 'http://alertmanager.example.com:9093',
      });
      expect(await load('alice')).toBe(1);
    });

    it('the same notification again (repeat_interval, or the HA peer with alerts reordered) is a duplicate', async () => {
      const before = await rowCounts(t.store);
      const again = await post(FIRING);
      expect(again.status).toBe(200);
      const body = (await again.json()) as Record<string, unknown>;
      expect(body.status).toBe('duplicate');
      const peer = await post({ ...FIRING, alerts: [...FIRING.alerts].reverse() });
      expect(peer.status).toBe(200);
      expect(((await peer.json()) as Record<string, unknown>).eventId).toBe(body.eventId);
      expect(await rowCounts(t.store)).toEqual(before);
    });

    it('a changed group (one more alert) merges into the same task', async () => {
      const third = {
        ...FIRING.alerts[0],
        labels: { ...FIRING.alerts[0].labels, instance: 'https://checkout-us.example.com/healthz' },
        startsAt: '2026-11-26T18:47:15.432Z',
        fingerprint: '0d4f9a3b7c21e865',
      };
      const res = await post({ ...FIRING, alerts: [...FIRING.alerts, third] });
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      await waitUntilSettled(t.store);
      expect(await task()).toHaveLength(1);
      expect((await t.store.getEvent('acme', eventId))?.status).toBe('merged');
      expect(await load('alice')).toBe(1);
    });

    it('resolved closes the task and frees the assignee', async () => {
      expect((await post(RESOLVED)).status).toBe(202);
      await waitUntilSettled(t.store);
      const [closed] = await task();
      expect(closed?.status).toBe('closed');
      expect(await load('alice')).toBe(0);
      const audit = await t.store.readAudit('acme', 0, 1000);
      expect(audit.filter((e) => e.kind === 'task.closed')).toHaveLength(1);
    });

    it('firing again after the resolve reopens the task and routes it again', async () => {
      const refired = {
        ...FIRING,
        alerts: FIRING.alerts.map((a: Record<string, unknown>, i: number) => ({
          ...a,
          startsAt: `2026-11-26T21:1${i}:00.000Z`,
        })),
      };
      expect((await post(refired)).status).toBe(202);
      await waitUntilSettled(t.store);
      const [reopened] = await waitFor(async () => {
        const tasks = await task();
        return tasks[0]?.status === 'assigned' ? tasks : undefined;
      });
      expect(await task()).toHaveLength(1);
      expect(reopened?.assignee).not.toBeNull();
      expect(await load(reopened?.assignee as string)).toBe(1);
      const decisions = await t.store.listDecisions('acme', reopened?.id as string);
      expect(decisions.map((d) => d.outcome)).toEqual(['assigned', 'assigned']);
    });

    it('an unknown group status is kept and ignored, with the reason', async () => {
      const res = await post({ ...FIRING, groupKey: '{}:{alertname="Odd"}', status: 'pending' });
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      await waitUntilSettled(t.store);
      const event = await t.store.getEvent('acme', eventId);
      expect(event).toMatchObject({
        status: 'ignored',
        error: 'Alertmanager status "pending" is neither firing nor resolved',
      });
    });

    it('a configured transform replaces the mapping ($status bound) and its key is the one resolved closes', async () => {
      expect((await post(FIRING, {}, '/hooks/acme/custom')).status).toBe(202);
      await waitUntilSettled(t.store);
      const [created] = await task('AM-ProbeFailure');
      expect(created?.task).toEqual({ externalId: 'AM-ProbeFailure', title: '[firing] ProbeFailure', priority: 2 });
      expect((await post(RESOLVED, {}, '/hooks/acme/custom')).status).toBe(202);
      await waitUntilSettled(t.store);
      expect((await task('AM-ProbeFailure'))[0]?.status).toBe('closed');
    });

    describe('refused deliveries write nothing and are counted', () => {
      const refused = async (res: Response, status: number, type: string, detail?: RegExp) => {
        expect(res.status).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status });
        if (detail) expect(body.detail).toMatch(detail);
      };
      const other = { ...FIRING, groupKey: '{}:{alertname="NeverStored"}' };
      let before: Record<string, number>;
      beforeAll(async () => {
        before = await rowCounts(t.store);
      });

      it('no bearer token, or another scheme: 401 missing-headers', async () => {
        await refused(await post(other, { authorization: '' }), 401, 'missing-headers', /token/);
        await refused(await post(other, { authorization: 'Basic YWxlcnQ6bWFuYWdlcg==' }), 401, 'missing-headers');
      });

      it('a wrong or expired token: 401 bad-signature', async () => {
        await refused(
          await post(other, { authorization: 'Bearer not-the-token-0000000' }),
          401,
          'bad-signature',
          /token/,
        );
        await refused(
          await post(other, { authorization: `Bearer ${SOURCE_SECRETS.alertmanager.expired}` }),
          401,
          'bad-signature',
        );
      });

      it('a rotated-in token is accepted too', async () => {
        const res = await post(FIRING, { authorization: `Bearer ${SOURCE_SECRETS.alertmanager.previous}` });
        // The very notification already stored: accepted by the token, answered as its duplicate.
        expect(res.status).toBe(200);
      });

      it('wrong content type: 415; invalid JSON: 400; no groupKey: 422', async () => {
        await refused(await post(other, { 'content-type': 'text/plain' }), 415, 'unsupported-media-type');
        await refused(await post('{"groupKey": "x", '), 400, 'malformed-json');
        const { groupKey: _, ...noKey } = FIRING;
        await refused(await post(noKey), 422, 'missing-dedupe-key');
      });

      it('nothing was written, and /metrics counts each reason', async () => {
        expect(await rowCounts(t.store)).toEqual(before);
        const metrics = await (await fetch(`${t.base}/metrics`)).text();
        const count = (reason: string) =>
          Number(new RegExp(`switchyard_events_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1]);
        expect(count('missing_headers')).toBe(2);
        expect(count('bad_signature')).toBe(2);
        expect(count('media_type')).toBe(1);
        expect(count('malformed_json')).toBe(1);
        expect(count('missing_dedupe_key')).toBe(1);
      });
    });
  });
}
