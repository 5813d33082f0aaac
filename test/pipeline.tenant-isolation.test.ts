/**
 * One tenant's slow custom function never stalls another tenant: tenant alpha routes through a
 * remote `match` function (a fake on 127.0.0.1, signed per Standard Webhooks) that answers
 * after 5 s; while alpha's calls are outstanding, tenant beta's API and intake keep answering.
 * Every wait is bounded (an abort signal on each request), and the assertions are on answers:
 * each of beta's requests answered, and alpha's calls were still outstanding when they had.
 * Alpha's function is called once per decision, never again inside the transaction.
 */
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { signedHeaders, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const CONFIG = `
tenants:
  - id: alpha
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: ann, capacity: 100 }
    policy:
      fallbackQueue: triage
      routes:
        - name: vip
          strategy: least_loaded
          members: [ann]
          match: slow-match@1
          onFunctionError: { queue: manual }
  - id: beta
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: bo, capacity: 1000 }
    policy:
      fallbackQueue: triage
      routes:
        - { name: all, strategy: least_loaded, members: [bo] }
`;

const SLOW_MS = 5_000;
/** Longest any of beta's requests may take before the test fails (alpha's lock would hold it for minutes). */
const BOUND_MS = 20_000;

for (const kind of STORES) {
  describe(`a tenant's slow remote function does not stall other tenants (${kind})`, () => {
    let fake: Server;
    let secret = '';
    let delayMs = 0;
    let received = 0;
    let answered = 0;
    const outstanding = () => received - answered;
    const {
      server: t,
      api,
      keys,
    } = useTestServer(kind, {
      configYaml: CONFIG,
      keys: ['alpha', 'beta'] as const,
      // Only the drain the test starts (ann back) asks the function; no timed drain in between.
      workerOptions: { drainEveryMs: 3_600_000 },
    });

    beforeAll(async () => {
      fake = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          try {
            new Webhook(secret).verify(body, req.headers as Record<string, string>);
          } catch {
            return res.writeHead(401).end();
          }
          received++;
          setTimeout(() => {
            const id = String(req.headers['webhook-id']);
            const at = new Date();
            res.writeHead(200, {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': new Webhook(secret).sign(id, at, 'true'),
            });
            res.end('true');
            answered++;
          }, delayMs);
        });
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      const { port } = fake.address() as { port: number };
      const res = await api('/functions/slow-match/versions', {
        kind: 'match',
        runtime: 'remote',
        remote: { url: `http://127.0.0.1:${port}/match`, timeoutMs: 15_000, retries: 0 },
        outputSchema: { type: 'boolean' },
      });
      expect(res.status).toBe(201);
      secret = ((await res.json()) as { secret: string }).secret;
    });
    afterAll(async () => {
      fake?.closeAllConnections();
      await new Promise((r) => fake?.close(r));
    });

    const post = (tenant: string) => {
      const body = JSON.stringify(taskPayload());
      return fetch(`${t.base}/hooks/${tenant}/tickets`, {
        method: 'POST',
        headers: signedHeaders(body),
        body,
        signal: AbortSignal.timeout(BOUND_MS),
      });
    };
    const betaMembers = () =>
      fetch(`${t.base}/api/v1/members`, {
        headers: { authorization: `Bearer ${keys.beta}` },
        signal: AbortSignal.timeout(BOUND_MS),
      });
    /** Beta's i-th request: every other one reads the API, the rest post a signed event. */
    const betaRequest = async (i: number) => {
      const res = await (i % 2 === 0 ? betaMembers() : post('beta'));
      await res.arrayBuffer();
      return res.status;
    };
    const alphaDecisions = async () =>
      t.store.db
        .selectFrom('decisions')
        .select(['outcome', 'assignee', 'detail'])
        .where('tenant_id', '=', 'alpha')
        .orderBy('id')
        .execute();

    it('while the backlog drain waits on alpha’s function, beta’s 20 requests all answer', async () => {
      // 20 alpha tasks queued: ann is away (the function answers at once meanwhile).
      expect((await api('/members/ann/away', { away: true }, { key: keys.alpha })).status).toBe(200);
      for (const status of await Promise.all(Array.from({ length: 20 }, () => post('alpha').then((r) => r.status))))
        expect(status).toBe(202);
      await waitFor(async () => (await alphaDecisions()).filter((d) => d.outcome === 'queued').length === 20);

      delayMs = SLOW_MS;
      received = answered = 0;
      // Ann is back: the drain re-decides the 20 queued tasks, each asking the slow function.
      const back = api('/members/ann/away', { away: false }, { key: keys.alpha });
      await waitFor(async () => outstanding() > 0, BOUND_MS, 'alpha’s first call');

      const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => betaRequest(i)));
      expect(outstanding()).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 202)).toHaveLength(10);

      expect((await back).status).toBe(200);
      const assigned = (await alphaDecisions()).filter((d) => d.outcome === 'assigned');
      expect(assigned).toHaveLength(20);
      expect(assigned.every((d) => d.assignee === 'ann')).toBe(true);
      // One call per decision: the drain asked each task's question once, outside its transaction.
      expect(received).toBe(20);
    }, 60_000);

    it('while new alpha events wait on the function, beta keeps answering; one call per event', async () => {
      delayMs = SLOW_MS;
      received = answered = 0;
      const before = (await alphaDecisions()).length;
      for (const status of await Promise.all(Array.from({ length: 20 }, () => post('alpha').then((r) => r.status))))
        expect(status).toBe(202);
      await waitFor(async () => outstanding() > 0, BOUND_MS, 'alpha’s first call');

      // Spread over the time alpha's first calls take and a little beyond, one request at a time.
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push(await betaRequest(i));
        await new Promise((r) => setTimeout(r, (SLOW_MS * 1.6) / 20));
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 202)).toHaveLength(10);

      const decided = await waitFor(
        async () => {
          const all = await alphaDecisions();
          return all.length - before === 20 && all.slice(before);
        },
        BOUND_MS * 2,
        'alpha’s 20 decisions',
      );
      expect(decided.every((d) => d.outcome === 'assigned')).toBe(true);
      for (const d of decided) expect(JSON.parse(d.detail).functions).toHaveLength(1);
      expect(received).toBe(20);
    }, 90_000);
  });
}
