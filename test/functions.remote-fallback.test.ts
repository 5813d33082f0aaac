/**
 * A remote function that times out, answers 500, answers something that is not JSON, or signs
 * its answer wrongly, inside real decisions: each time the route takes its fallback and the
 * decision records the call's outcome and the fallback. The fake function (127.0.0.1) checks
 * our request signature with the `standardwebhooks` package before doing anything else.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: alice, capacity: 50 }
      - { id: bob, capacity: 50 }
    policy:
      fallbackQueue: triage
      routes:
        - name: scored
          strategy: least_loaded
          members: [alice, bob]
          score: flaky@1
          onFunctionError: { queue: manual }
`;

/** What the fake answers, by the task's type (the one field the function declares). */
type Mode = 'ok' | 'slow' | 'fail' | 'garbage' | 'badsig';

for (const kind of STORES) {
  describe(`remote function failures end in a recorded fallback (${kind})`, () => {
    let fake: Server;
    let secret = '';
    const verified: boolean[] = [];
    const { server: t, api } = useTestServer(kind, { configYaml: CONFIG });

    beforeAll(async () => {
      fake = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let input: { task: { type: Mode }; candidates: { id: string }[] };
          try {
            input = new Webhook(secret).verify(body, req.headers as Record<string, string>) as typeof input;
            verified.push(true);
          } catch {
            verified.push(false);
            return res.writeHead(401).end();
          }
          const mode = input.task.type;
          if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 1_000);
          if (mode === 'fail') return res.writeHead(500).end();
          const id = String(req.headers['webhook-id']);
          const answer = mode === 'garbage' ? 'scores: many' : JSON.stringify({ scores: { bob: 9, alice: 1 } });
          const at = new Date();
          const signer = mode === 'badsig' ? new Webhook(SECRETS.unknown) : new Webhook(secret);
          res.writeHead(200, {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(id, at, answer),
          });
          res.end(answer);
        });
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      const { port } = fake.address() as { port: number };
      const res = await api('/functions/flaky/versions', {
        kind: 'score',
        runtime: 'remote',
        remote: { url: `http://127.0.0.1:${port}/score`, timeoutMs: 200, retries: 1 },
        fields: { task: ['type'], member: [] },
        outputSchema: { type: 'object', required: ['scores'] },
      });
      expect(res.status).toBe(201);
      secret = ((await res.json()) as { secret: string }).secret;
    });
    afterAll(async () => {
      fake?.closeAllConnections();
      await new Promise((r) => fake?.close(r));
    });

    async function decide(mode: Mode) {
      const externalId = `R-${mode}-${randomBytes(3).toString('hex')}`;
      expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId, type: mode }))).status).toBe(
        202,
      );
      return waitFor(() =>
        t.store.db
          .selectFrom('decisions')
          .innerJoin('tasks', (j) =>
            j.onRef('tasks.id', '=', 'decisions.task_id').onRef('tasks.tenant_id', '=', 'decisions.tenant_id'),
          )
          .select(['decisions.outcome', 'decisions.assignee', 'decisions.queue', 'decisions.detail'])
          .where('tasks.external_id', '=', externalId)
          .executeTakeFirst(),
      );
    }

    it('answers in time and signed: its scores decide, called once for the one event', async () => {
      const before = verified.length;
      const d = await decide('ok');
      expect(d).toMatchObject({ outcome: 'assigned', assignee: 'bob' });
      expect(verified.length - before).toBe(1);
      expect(JSON.parse(d.detail).functions[0]).toMatchObject({ outcome: 'ok', runtime: 'remote' });
    });

    it.each([
      ['slow', 'timeout'],
      ['fail', 'error'],
      ['garbage', 'error'],
      ['badsig', 'error'],
    ] as const)(
      '%s → outcome %s, the task waits in the fallback queue, and the decision says so',
      async (mode, outcome) => {
        const d = await decide(mode);
        expect(d).toMatchObject({ outcome: 'queued', queue: 'manual', assignee: null });
        const [call] = JSON.parse(d.detail).functions;
        expect(call).toMatchObject({
          name: 'flaky',
          version: 1,
          outcome,
          fallback: { action: 'queue', queue: 'manual' },
        });
        expect(call.error).toBeTruthy();
      },
    );

    it('every request it received carried a signature the standardwebhooks package accepts', () => {
      expect(verified.length).toBeGreaterThan(0);
      expect(verified.every(Boolean)).toBe(true);
    });
  });
}
