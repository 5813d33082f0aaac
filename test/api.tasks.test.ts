/**
 * /api/v1 over HTTP on both stores: bearer keys scoped to one tenant (invariant 7 at the
 * edge), finding tasks by source key, the decision history, overrides that keep the
 * original decision, and problem+json for every bad request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

for (const kind of STORES) {
  describe(`API v1 (${kind})`, () => {
    const { server: t, keys } = useTestServer(kind, { keys: ['acme', 'globex'] });
    let taskId: string;
    const externalId = `PAY-${Date.now()}`;

    beforeAll(async () => {
      const res = await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId, labels: ['payments'] }));
      const eventId = res.body.eventId as string;
      taskId = await waitFor(async () => (await t.store.getEvent('acme', eventId))?.taskId, 20_000, 'task');
    });

    const api = (path: string, key: string | null, init: RequestInit = {}) =>
      fetch(`${t.base}/api/v1${path}`, {
        ...init,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });

    async function problem(res: Response, status: number, type: string) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status });
      expect(String(body.detail).length).toBeGreaterThan(5);
      return body;
    }

    it('refuses requests without a key, with a malformed key, or with a wrong secret', async () => {
      await problem(await api('/tasks', null), 401, 'invalid-api-key');
      await problem(await api('/tasks', 'not-a-key'), 401, 'invalid-api-key');
      const forged = `${keys.acme.slice(0, -4)}AAAA`;
      await problem(await api('/tasks', forged), 401, 'invalid-api-key');
    });

    it('stores only a hash of the key', async () => {
      const rows = await t.store.db.selectFrom('api_keys').selectAll().execute();
      const secret = keys.acme.split('_').slice(2).join('_');
      expect(JSON.stringify(rows)).not.toContain(secret);
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.secret_hash))).toBe(true);
    });

    it('finds a task by its source key with its assignee and explained decision', async () => {
      const res = await api(`/tasks?externalId=${externalId}`, keys.acme);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        items: (Record<string, unknown> & { decision: { explanation: string; candidates: { memberId: string }[] } })[];
        next: string | null;
      };
      expect(body.items).toHaveLength(1);
      const task = body.items[0]!;
      expect(task).toMatchObject({ id: taskId, externalId, status: 'assigned', assignee: 'alice' });
      expect(task.decision).toMatchObject({
        kind: 'auto',
        route: 'payments',
        strategy: 'round_robin',
        assignee: 'alice',
      });
      expect(task.decision.explanation).toContain('Assigned to alice');
      expect(task.decision.candidates.map((c) => c.memberId)).toEqual(['alice', 'bob']);
    });

    it('filters by status and assignee, and pages with `next`', async () => {
      for (let i = 0; i < 3; i++) await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ labels: ['misc'] }));
      await waitFor(async () => (await t.store.listTasks('acme', { status: 'queued', limit: 10 })).items.length === 3);
      const queued = (await (await api('/tasks?status=queued&limit=2', keys.acme)).json()) as {
        items: { queue: string }[];
        next: string;
      };
      expect(queued.items).toHaveLength(2);
      expect(queued.items.every((i) => i.queue === 'triage')).toBe(true);
      const rest = (await (await api(`/tasks?status=queued&limit=2&after=${queued.next}`, keys.acme)).json()) as {
        items: unknown[];
        next: null;
      };
      expect(rest.items).toHaveLength(1);
      expect(rest.next).toBeNull();
      const alices = (await (await api('/tasks?assignee=alice', keys.acme)).json()) as { items: { id: string }[] };
      expect(alices.items.map((i) => i.id)).toEqual([taskId]);
    });

    it('rejects bad query parameters with 400', async () => {
      await problem(await api('/tasks?limit=0', keys.acme), 400, 'validation-failed');
      await problem(await api('/tasks?limit=lots', keys.acme), 400, 'validation-failed');
    });

    it('reassigns with a reason as an override that keeps the original decision', async () => {
      const res = await api(`/tasks/${taskId}/reassign`, keys.acme, {
        method: 'POST',
        body: JSON.stringify({ assignee: 'carol', reason: 'Carol owns the card processor' }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { task: Record<string, unknown>; decision: Record<string, unknown> };
      expect(body.task).toMatchObject({ assignee: 'carol', status: 'assigned' });
      expect(body.decision).toMatchObject({
        kind: 'override',
        assignee: 'carol',
        reason: 'Carol owns the card processor',
      });

      const detail = (await (await api(`/tasks/${taskId}`, keys.acme)).json()) as {
        decisions: Record<string, unknown>[];
        decision: Record<string, unknown>;
      };
      expect(detail.decisions.map((d) => [d.kind, d.assignee])).toEqual([
        ['auto', 'alice'],
        ['override', 'carol'],
      ]);
      expect(detail.decisions[1]?.supersedesId).toBe(detail.decisions[0]?.id);
      expect(detail.decision.id).toBe(detail.decisions[1]?.id);
      const load = (await t.store.readSnapshot('acme')).load;
      expect(load.carol).toBe(1);
      expect(load.alice ?? 0).toBe(0);
    });

    it('reassigns into a queue', async () => {
      const res = await api(`/tasks/${taskId}/reassign`, keys.acme, {
        method: 'POST',
        body: JSON.stringify({ queue: 'payments-backlog', reason: 'Waiting on the vendor' }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { task: unknown }).task).toMatchObject({
        status: 'queued',
        assignee: null,
        queue: 'payments-backlog',
      });
    });

    it('refuses a reassign without a reason, with both or neither target, or to an unknown member', async () => {
      const post = (body: unknown) =>
        api(`/tasks/${taskId}/reassign`, keys.acme, { method: 'POST', body: JSON.stringify(body) });
      await problem(await post({ assignee: 'bob' }), 400, 'validation-failed');
      await problem(await post({ assignee: 'bob', reason: '' }), 400, 'validation-failed');
      await problem(await post({ reason: 'why not' }), 422, 'assignee-or-queue');
      await problem(await post({ assignee: 'bob', queue: 'x', reason: 'both' }), 422, 'assignee-or-queue');
      await problem(await post({ assignee: 'mallory', reason: 'who?' }), 422, 'unknown-member');
      const malformed = await api(`/tasks/${taskId}/reassign`, keys.acme, { method: 'POST', body: '{"assignee":' });
      await problem(malformed, 400, 'malformed-json');
      const decisions = await t.store.listDecisions('acme', taskId);
      expect(decisions).toHaveLength(3);
    });

    it('never shows or changes one tenant’s task through another tenant’s key', async () => {
      await problem(await api(`/tasks/${taskId}`, keys.globex), 404, 'task-not-found');
      const list = (await (await api(`/tasks?externalId=${externalId}`, keys.globex)).json()) as { items: unknown[] };
      expect(list.items).toEqual([]);
      const res = await api(`/tasks/${taskId}/reassign`, keys.globex, {
        method: 'POST',
        body: JSON.stringify({ queue: 'inbox', reason: 'cross-tenant attempt' }),
      });
      await problem(res, 404, 'task-not-found');
      expect(await t.store.listDecisions('acme', taskId)).toHaveLength(3);
    });

    it('lists dead letters with their reason and shows what happened to an event', async () => {
      const res = await postEvent(t.base, '/hooks/acme/tickets', { title: 'no key' });
      const eventId = res.body.eventId as string;
      await waitFor(async () => (await t.store.getEvent('acme', eventId))?.status === 'dead');
      const letters = (await (await api('/dead-letters', keys.acme)).json()) as {
        items: { refId: string; reason: string }[];
      };
      expect(letters.items.find((l) => l.refId === eventId)?.reason).toMatch(/externalId/);
      const event = (await (await api(`/events/${eventId}`, keys.acme)).json()) as Record<string, unknown>;
      expect(event).toMatchObject({ id: eventId, status: 'dead', integration: 'tickets' });
      const foreign = (await (await api('/dead-letters', keys.globex)).json()) as { items: unknown[] };
      expect(foreign.items).toEqual([]);
      await problem(await api(`/events/${eventId}`, keys.globex), 404, 'event-not-found');
    });

    it('answers unknown routes with a problem', async () => {
      await problem(await api('/nothing-here', keys.acme), 404, 'route-not-found');
    });

    it('serves OpenAPI 3.1 describing the task routes', async () => {
      const doc = (await (await fetch(`${t.base}/api/v1/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/tasks',
          '/api/v1/tasks/{id}',
          '/api/v1/tasks/{id}/reassign',
          '/api/v1/dead-letters',
        ]),
      );
    });

    it('reports health, readiness and metrics', async () => {
      expect(await (await fetch(`${t.base}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${t.base}/readyz`)).json()).toEqual({ status: 'ready', store: kind });
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_events_received_total\{tenant="acme",integration="tickets"\} [1-9]/);
      expect(metrics).toMatch(/switchyard_decision_latency_seconds_count [1-9]/);
      expect(metrics).toMatch(/switchyard_decisions_total\{tenant="acme",outcome="assigned"\} [1-9]/);
    });
  });
}
