/**
 * /api/v1/integrations over real HTTP on both stores: the tenant's integrations without their
 * secrets, and transform:test answering the Task or the exact reason an event would be
 * dead-lettered with, for the key's own tenant only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SOURCE_SECRETS, SECRETS as WEBHOOK_SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

/** The tenants with an API key. */
const TENANTS = ['acme', 'globex'] as const;
type Tenant = (typeof TENANTS)[number];

const FIRING = JSON.parse(readFileSync(new URL('./fixtures/alertmanager/firing.json', import.meta.url), 'utf8'));
const SECRETS = [
  WEBHOOK_SECRETS.current,
  WEBHOOK_SECRETS.expired,
  WEBHOOK_SECRETS.globex,
  SOURCE_SECRETS.alertmanager.current,
];

const CONFIG = `
tenants:
  - id: acme
    integrations:
      - id: tickets
        type: generic
        secrets:
          - ${SECRETS[0]}
          - { value: ${SECRETS[1]}, expiresAt: "2020-01-01T00:00:00Z" }
        transform: |
          { "externalId": "SUP-" & $string(ticket.id), "title": ticket.subject, "priority": ticket.urgent ? 1 : 3 }
      - id: raw
        type: generic
        secrets: [${SECRETS[0]}]
      - id: alerts
        type: alertmanager
        secrets: [${SECRETS[3]}]
    members: [{ id: alice }]
    policy:
      fallbackQueue: triage
      routes: [{ name: all, strategy: direct, assignee: alice }]
  - id: globex
    integrations:
      - id: tickets
        type: generic
        secrets: [${SECRETS[2]}]
    members: [{ id: zoe }]
    policy:
      fallbackQueue: inbox
      routes: [{ name: all, strategy: direct, assignee: zoe }]
`;

const TICKET = { ticket: { id: 42, subject: 'Refund stuck in pending', urgent: true } };

for (const kind of STORES) {
  describe(`/api/v1/integrations (${kind})`, () => {
    const { server: t, json, seen } = useTestServer(kind, { configYaml: CONFIG, worker: false, keys: TENANTS });

    const call = (path: string, body?: unknown, tenant: Tenant = 'acme') => json(path, body, { as: tenant });
    const tryIt = (id: string, body: unknown, tenant: Tenant = 'acme') =>
      call(`/integrations/${id}/transform:test`, body, tenant);

    it("lists the key's tenant's integrations: type, active secrets, whether a transform is set", async () => {
      const acme = await call('/integrations');
      expect(acme.status).toBe(200);
      expect(acme.body.items).toEqual([
        { id: 'tickets', type: 'generic', hook: '/hooks/acme/tickets', activeSecrets: 1, hasTransform: true },
        { id: 'raw', type: 'generic', hook: '/hooks/acme/raw', activeSecrets: 1, hasTransform: false },
        { id: 'alerts', type: 'alertmanager', hook: '/hooks/acme/alerts', activeSecrets: 1, hasTransform: false },
      ]);
      const globex = await call('/integrations', undefined, 'globex');
      expect(globex.body.items.map((i: { id: string }) => i.id)).toEqual(['tickets']);
    });

    it('the configured transform on a good sample: the upsert it would make', async () => {
      const res = await tryIt('tickets', { payload: TICKET });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ok: true,
        action: {
          kind: 'upsert',
          task: { externalId: 'SUP-42', title: 'Refund stuck in pending', priority: 1 },
        },
      });
    });

    it('a transform given in the request replaces the configured one', async () => {
      const res = await tryIt('tickets', {
        payload: TICKET,
        transform: '{ "externalId": "T" & ticket.id, "title": $uppercase(ticket.subject), "labels": ["refunds"] }',
      });
      expect(res.body).toEqual({
        ok: true,
        action: { kind: 'upsert', task: { externalId: 'T42', title: 'REFUND STUCK IN PENDING', labels: ['refunds'] } },
      });
    });

    it('a transform that fails on the sample is a result with the exact error, not a request error', async () => {
      const failing = await tryIt('tickets', { payload: TICKET, transform: '$error("ticket has no queue")' });
      expect(failing.status).toBe(200);
      expect(failing.body).toEqual({ ok: false, reason: 'transform failed: ticket has no queue (D3137)' });
      const notObject = await tryIt('tickets', { payload: TICKET, transform: 'ticket.subject' });
      expect(notObject.body).toEqual({
        ok: false,
        reason: 'transform produced Refund stuck in pending, not a Task object',
      });
    });

    it('a transform that never ends is stopped and reported', async () => {
      const res = await tryIt('raw', {
        payload: {},
        transform: '($loop := function($n){ $n = 0 ? 0 : $loop($n - 1) }; $loop(1000000000))',
      });
      expect(res.body).toEqual({
        ok: false,
        reason: 'transform failed: Evaluation timeout after 1000 milliseconds. Check for infinite loop (D1012)',
      });
    });

    it('a transform that does not compile: 422 with the message and position', async () => {
      const res = await tryIt('tickets', { payload: TICKET, transform: '{ "externalId": ticket.id ' });
      expect(res.status).toBe(422);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:switchyard:problem:invalid-transform',
        status: 422,
        detail: 'JSONata does not compile: Expected "}" before end of expression (at character 26)',
        position: 26,
        code: 'S0203',
      });
    });

    it('a payload that is not a valid Task: the exact validation error', async () => {
      const res = await tryIt('raw', { payload: { title: 'No key', priority: 9, colour: 'red' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ok: false,
        reason:
          "not a valid Task: / must have required property 'externalId'; / must NOT have additional properties (colour); /priority must be <= 5",
      });
    });

    it("runs built-in sources' normalizers: Alertmanager firing is a reopen, $status is bound for transforms", async () => {
      const builtin = await tryIt('alerts', { payload: FIRING });
      expect(builtin.body.ok).toBe(true);
      expect(builtin.body.action).toMatchObject({
        kind: 'reopen',
        task: { title: 'Checkout health probe is failing', type: 'incident', priority: 1, component: 'checkout' },
      });
      const resolved = await tryIt('alerts', {
        payload: { ...FIRING, status: 'resolved' },
        transform: '{ "externalId": "AM-" & commonLabels.alertname, "title": $status }',
      });
      expect(resolved.body).toEqual({
        ok: true,
        action: {
          kind: 'close',
          externalId: 'AM-ProbeFailure',
          how: 'close',
          reason: 'resolved in Alertmanager (2 alerts)',
        },
      });
    });

    it('`action` sets payload.action on the sample', async () => {
      const res = await tryIt('raw', {
        payload: { externalId: 'A-1', title: 'x' },
        transform: '{ "externalId": externalId, "title": action }',
        action: 'opened',
      });
      expect(res.body.action.task).toEqual({ externalId: 'A-1', title: 'opened' });
    });

    it("another tenant's key cannot see the integration; unknown ids and paths are 404", async () => {
      for (const id of ['raw', 'alerts']) {
        const res = await tryIt(id, { payload: TICKET }, 'globex');
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ type: 'urn:switchyard:problem:integration-not-found' });
      }
      // globex's own `tickets` has no transform: the sample itself must be a Task.
      const own = await tryIt('tickets', { payload: TICKET }, 'globex');
      expect(own.body.ok).toBe(false);
      expect((await tryIt('nope', { payload: {} })).body.type).toBe('urn:switchyard:problem:integration-not-found');
      const noColon = await call('/integrations/tickets/transform', { payload: {} });
      expect(noColon.body.type).toBe('urn:switchyard:problem:route-not-found');
    });

    it('the OpenAPI document names the literal colon path', async () => {
      const doc = (await (await fetch(`${t.base}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toContain('/api/v1/integrations/{id}/transform:test');
    });

    it('a request without a payload is 400; without a key 401', async () => {
      const res = await tryIt('tickets', { transform: '$' });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:switchyard:problem:validation-failed');
      const anonymous = await fetch(`${t.base}/api/v1/integrations`);
      expect(anonymous.status).toBe(401);
    });

    it('nothing was stored, and no response ever carried a secret', async () => {
      expect(await rowCounts(t.store)).toMatchObject({ events: 0, tasks: 0, decisions: 0, dead_letters: 0 });
      const everything = seen.join('\n');
      expect(seen.length).toBeGreaterThan(10);
      for (const secret of SECRETS) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(secret.replace(/^whsec_/, ''));
      }
      expect(everything).not.toContain('whsec_');
    });
  });
}
