/**
 * The three worked examples of docs/functions.md, run for real: a release-freeze `decide`
 * function, an ARR-weighted remote `score` function (examples/functions/arr-score-server.mjs as
 * a child process on 127.0.0.1) and a TypeScript `transform`, all pinned by examples/functions.yaml.
 * Each decision records the function name, version, content hash, duration, outcome and fallback.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionHost } from '../src/functions/function-host.js';
import { FunctionRegistry } from '../src/functions/registry.js';
import { replayVerify } from '../src/policy/replay.js';
import { runCli } from './support/cli.js';
import { SECRETS } from './support/secrets.js';
import { postEvent, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const example = (file: string) => readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8');
const CONFIG = example('functions.yaml');
const ORDERS_SECRET = SECRETS.shopOrders;
const CHANGES_SECRET = SECRETS.shopChanges;
const OUTSIDE_FREEZE = new Date('2026-12-01T10:00:00Z');
const IN_FREEZE = new Date('2026-12-20T10:00:00Z');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function startArrScore(secret: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [new URL('../examples/functions/arr-score-server.mjs', import.meta.url).pathname],
    {
      env: { ...process.env, FUNCTION_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => /listening on/.test(c.toString()) && resolve(child));
    child.on('exit', (code) => reject(new Error(`arr-score exited with ${code}`)));
  });
}

for (const kind of STORES) {
  describe(`worked examples: custom functions (${kind})`, () => {
    let now = OUTSIDE_FREEZE;
    let arr: ChildProcess | undefined;
    const { server: t, api } = useTestServer(kind, { configYaml: CONFIG, clock: () => now, keys: ['shop'] });
    const at = () => Math.floor(now.getTime() / 1000);

    beforeAll(async () => {
      const upload = async (name: string, manifest: Record<string, unknown>) => {
        const res = await api(`/functions/${name}/versions`, manifest);
        expect(res.status, await res.clone().text()).toBe(201);
        return (await res.json()) as { version: number; contentHash: string; secret?: string };
      };
      await upload('release-freeze', {
        kind: 'decide',
        runtime: 'javascript',
        source: example('functions/release-freeze.js'),
        fields: { task: ['type', 'labels'], member: [] },
      });
      await upload('shop-order', {
        kind: 'transform',
        runtime: 'typescript',
        source: example('functions/shop-order.ts'),
        fields: { task: ['payload'], member: [] },
      });
      const port = await freePort();
      const remote = await upload('arr-score', {
        kind: 'score',
        runtime: 'remote',
        remote: { url: `http://127.0.0.1:${port}/`, timeoutMs: 2000, retries: 1 },
        fields: { task: ['customerTier', 'component'], member: ['skills'] },
        outputSchema: {
          type: 'object',
          required: ['scores'],
          properties: { scores: { type: 'object', additionalProperties: { type: 'number' } } },
        },
      });
      arr = await startArrScore(remote.secret as string, port);
    });
    afterAll(async () => {
      arr?.kill();
    });

    async function decisionOf(externalId: string) {
      return waitFor(async () => {
        const res = await api(`/tasks?externalId=${encodeURIComponent(externalId)}`);
        const body = (await res.json()) as {
          items: { assignee: string | null; task: Record<string, unknown>; decision?: Record<string, unknown> }[];
        };
        return body.items[0]?.decision ? body.items[0] : undefined;
      });
    }
    const order = (id: number, problem: string, tier: string) => ({
      order: { id, total_cents: 250_00, customer: { tier }, note: 'leave at the door' },
      problem,
    });

    it('the transform makes the Task, the freeze abstains, and ARR scoring picks the strongest payments member', async () => {
      now = OUTSIDE_FREEZE;
      const res = await postEvent(t.base, '/hooks/shop/orders', order(1001, 'payment_failed', 'enterprise'), {
        secret: ORDERS_SECRET,
        timestamp: at(),
      });
      expect(res.status).toBe(202);
      const task = await decisionOf('ORDER-1001-payment_failed');
      expect(task.task).toMatchObject({
        title: 'Payment failed for order 1001',
        component: 'payments',
        customerTier: 'enterprise',
      });
      expect(task.assignee).toBe('ana'); // 3 × payments 5 beats ben's 3 × 2
      const calls = task.decision?.functions as Record<string, unknown>[];
      expect(calls.map((c) => [c.step, c.name, c.version, c.outcome])).toEqual([
        ['transform', 'shop-order', 1, 'ok'],
        ['decide:release-freeze', 'release-freeze', 1, 'ok'],
        ['score:by-arr', 'arr-score', 1, 'ok'],
      ]);
      for (const c of calls) {
        expect(c.contentHash).toMatch(/^[0-9a-f]{64}$/);
        expect(typeof c.durationMs).toBe('number');
      }
      expect(calls[2]?.value).toEqual({ scores: { ana: 15, ben: 6, cy: 0 } });
    });

    it('during the freeze a change goes to the release manager on duty', async () => {
      now = IN_FREEZE;
      const change = { externalId: 'CHG-42', title: 'Deploy checkout 4.2', type: 'change' };
      expect(
        (await postEvent(t.base, '/hooks/shop/changes', change, { secret: CHANGES_SECRET, timestamp: at() })).status,
      ).toBe(202);
      const task = await decisionOf('CHG-42');
      expect(task.assignee).toBe('rm-dana');
      expect(task.decision).toMatchObject({ route: 'release-freeze', strategy: 'function' });
      expect(String(task.decision?.explanation)).toContain('release-freeze@1 chose rm-dana');
    });

    it('a policy version may pin only functions that exist, each as its own kind', async () => {
      const current = (await (await api('/policies/versions/active')).json()) as { document: Record<string, unknown> };
      const doc = structuredClone(current.document) as { policy: { routes: Record<string, unknown>[] } };
      doc.policy.routes[0] = { ...doc.policy.routes[0], function: 'no-such-fn@1' };
      doc.policy.routes[1] = { ...doc.policy.routes[1], score: 'release-freeze@1' };
      const before = await t.store.db.selectFrom('policy_versions').select('version').execute();
      const res = await api('/policies/versions', { document: doc });
      expect(res.status).toBe(422);
      const problem = (await res.json()) as { type: string; errors: { path: string; message: string }[] };
      expect(problem.type).toContain('invalid-policy');
      expect(problem.errors).toEqual([
        { path: '/policy/routes/0/function', message: 'function no-such-fn@1 does not exist (upload it first)' },
        {
          path: '/policy/routes/1/score',
          message: 'release-freeze@1 is a decide function; score: needs a score function',
        },
      ]);
      expect(await t.store.db.selectFrom('policy_versions').select('version').execute()).toEqual(before);
    });

    it('when the remote function is down, the route falls back to its own strategy and says so', async () => {
      now = OUTSIDE_FREEZE;
      arr?.kill();
      await new Promise((r) => arr?.once('exit', r));
      const res = await postEvent(t.base, '/hooks/shop/orders', order(1002, 'address_invalid', 'business'), {
        secret: ORDERS_SECRET,
        timestamp: at(),
      });
      expect(res.status).toBe(202);
      const task = await decisionOf('ORDER-1002-address_invalid');
      const calls = (task.decision?.functions ?? []) as Record<string, unknown>[];
      const score = calls.find((c) => c.step === 'score:by-arr');
      expect(score).toMatchObject({ outcome: 'error', fallback: { action: 'config' } });
      expect(task.assignee).toBe('ben'); // least_loaded: ana holds one task already, ben is first with none
      expect(String(task.decision?.explanation)).toContain('fallback the config decision');
    });

    it('replay runs the same sandboxed versions again and reproduces every decision; simulation of the active version changes nothing', async () => {
      const functions = createFunctionHost(new FunctionRegistry(t.store));
      try {
        const replayed = await replayVerify(t.store, { tenantId: 'shop', functions });
        expect(replayed).toMatchObject({ mismatched: 0, skipped: [] });
        expect(replayed.checked).toBeGreaterThanOrEqual(3);
        const active = (await (await api('/policies/versions/active')).json()) as { id: string };
        const res = await api(`/policies/versions/${active.id}/simulate`, {});
        expect(res.status).toBe(200);
        const sim = (await res.json()) as { totals: { events: number; changed: number; skipped: number } };
        expect(sim.totals).toMatchObject({ changed: 0, skipped: 0 });

        // Negative control: a recorded answer of the sandboxed freeze function is altered.
        const row = await t.store.db
          .selectFrom('decisions')
          .select(['id', 'detail'])
          .where('tenant_id', '=', 'shop')
          .where('route', '=', 'release-freeze')
          .executeTakeFirstOrThrow();
        const detail = JSON.parse(row.detail) as { functions: { step: string; value: unknown }[] };
        const freeze = detail.functions.find((c) => c.step === 'decide:release-freeze');
        if (freeze) freeze.value = { assignee: 'rm-eli' };
        await t.store.db
          .updateTable('decisions')
          .set({ detail: JSON.stringify(detail) })
          .where('id', '=', row.id)
          .execute();
        const tampered = await replayVerify(t.store, { tenantId: 'shop', functions });
        expect(tampered.mismatched).toBe(1);
        expect(tampered.mismatches[0]?.fields.map((f) => f.field)).toEqual(['functions.decide:release-freeze']);
      } finally {
        await functions.close();
      }
    });

    it('switchyard functions test and the API’s :test give the same answer on the release-freeze example', async () => {
      // In a freeze, a change goes to the release manager on duty: a member of the tenant, not a candidate.
      const input = {
        task: { externalId: 'CHG-77', title: 'Deploy the checkout service', type: 'change', labels: ['deploy'] },
        now: '2026-12-20T10:00:00Z',
      };
      const res = await api('/functions/release-freeze/versions/1:test', { input });
      expect(res.status).toBe(200);
      const viaApi = (await res.json()) as Record<string, unknown>;
      expect(viaApi).toMatchObject({ outcome: 'ok', value: { assignee: 'rm-dana', reason: 'release freeze' } });

      const file = join(mkdtempSync(join(tmpdir(), 'sy-fn-test-')), 'sample.json');
      writeFileSync(file, JSON.stringify({ input }));
      const cli = await runCli([
        'functions',
        'test',
        'release-freeze',
        '1',
        '--input',
        file,
        '--tenant',
        'shop',
        '--db',
        t.storeUrl,
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      const viaCli = JSON.parse(cli.stdout) as Record<string, unknown>;
      const { durationMs: _api, ...apiAnswer } = viaApi;
      const { durationMs: _cli, ...cliAnswer } = viaCli;
      expect(cliAnswer).toEqual(apiAnswer);
    });
  });
}

describe('docs/functions.md', () => {
  it('shows each example function exactly as it is in examples/functions', () => {
    const doc = readFileSync(new URL('../docs/functions.md', import.meta.url), 'utf8');
    for (const file of ['functions/release-freeze.js', 'functions/shop-order.ts', 'functions.yaml']) {
      expect(doc, file).toContain(example(file));
    }
  });
});
