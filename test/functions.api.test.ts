/**
 * Custom functions as versioned artefacts, over real HTTP on both stores: uploads numbered per
 * name (an identical re-upload is the latest again), list/get/diff, `:test` running a version
 * on a sample exactly as a decision would (allow-list, logs, duration, validation), a remote
 * function's secret shown once, bad manifests refused with pointers and nothing written,
 * tenant isolation, the audit chain, and the CLI on the same store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTenantAudit } from '../src/audit/verify-store.js';
import { encryptSecret, secretKeyFromEnv } from '../src/crypto/secret-box.js';
import { FunctionRegistry, functionSecretWhere } from '../src/functions/registry.js';
import { runCli } from './support/cli.js';
import { useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

/** A sandboxed function's module: its default export is called with the input. */
const fnSource = (body: string) => `export default function (input) {\n${body}\n}\n`;

const SCORE_JS = fnSource(
  [
    '  const scores = {};',
    '  for (const c of input.candidates) scores[c.id] = (c.skills?.[input.task.component] ?? 0) - c.load;',
    "  console.log('scored', input.candidates.length);",
    '  return { scores };',
  ].join('\n'),
);

const SCORE_TS = [
  'interface Candidate { id: string; skills?: Record<string, number>; load: number }',
  'export default function (input: { task: { component?: string }; candidates: Candidate[] }): { scores: Record<string, number> } {',
  '  const scores: Record<string, number> = {};',
  '  for (const c of input.candidates) scores[c.id] = (c.skills?.[input.task.component ?? ""] ?? 0) * 2 - c.load;',
  '  return { scores };',
  '}',
  '',
].join('\n');

const SAMPLE = {
  task: { externalId: 'SUP-1', title: 'Card declined', component: 'payments', priority: 2, labels: ['payments'] },
  candidates: [
    { id: 'alice', skills: { payments: 4 }, load: 1, capacity: 3, name: 'Alice' },
    { id: 'bob', skills: { payments: 2 }, load: 0, capacity: 3, name: 'Bob' },
  ],
  now: '2026-11-26T10:00:00.000Z',
};

const OUTPUT_SCHEMA = { type: 'object', required: ['scores'] };

for (const kind of STORES) {
  describe(`/api/v1/functions (${kind})`, () => {
    const { server: t, json, seen } = useTestServer(kind, { worker: false, keys: ['acme', 'globex'] });
    let remote: Server;
    let remoteUrl = '';
    let remoteSecret = '';

    beforeAll(async () => {
      // A remote score function that checks Switchyard's signature and signs its answer.
      remote = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const wh = new Webhook(remoteSecret);
          let input: { candidates: { id: string }[] };
          try {
            input = wh.verify(body, req.headers as Record<string, string>) as typeof input;
          } catch {
            res.writeHead(401).end();
            return;
          }
          const answer = JSON.stringify({ scores: Object.fromEntries(input.candidates.map((c, i) => [c.id, i])) });
          const id = String(req.headers['webhook-id']);
          const at = new Date();
          res
            .writeHead(200, {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': wh.sign(id, at, answer),
            })
            .end(answer);
        });
      });
      await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
      const address = remote.address();
      remoteUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/score`;
    });
    afterAll(async () => {
      await new Promise((r) => remote.close(r));
    });

    type Tenant = 'acme' | 'globex';
    const call = (path: string, body?: unknown, tenant: Tenant = 'acme') => json(path, body, { as: tenant });
    const upload = (name: string, manifest: unknown, tenant: Tenant = 'acme') =>
      call(`/functions/${name}/versions`, manifest, tenant);
    const functionRows = async () =>
      Number(
        (
          await t.store.db
            .selectFrom('functions')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('uploads a JavaScript version, then a TypeScript one: numbered 1 and 2, with their content hash', async () => {
      const v1 = await upload('arr-score', {
        kind: 'score',
        runtime: 'javascript',
        source: SCORE_JS,
        fields: { task: ['component'], member: ['skills', 'load'] },
        message: 'first cut',
      });
      expect(v1.status).toBe(201);
      expect(v1.body).toMatchObject({
        name: 'arr-score',
        version: 1,
        kind: 'score',
        runtime: 'javascript',
        fields: { task: ['component'], member: ['load', 'skills'] },
        limits: { timeoutMs: 50, memoryMb: 32 },
        author: expect.stringMatching(/^apikey:/),
        message: 'first cut',
        created: true,
      });
      expect(v1.body.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(v1.body).not.toHaveProperty('secret');
      expect(v1.body).not.toHaveProperty('source');

      const v2 = await upload('arr-score', {
        kind: 'score',
        runtime: 'typescript',
        source: SCORE_TS,
        fields: { task: ['component', 'priority'], member: ['skills', 'load'] },
        limits: { timeoutMs: 200 },
      });
      expect(v2.status).toBe(201);
      expect(v2.body).toMatchObject({ version: 2, runtime: 'typescript', limits: { timeoutMs: 200, memoryMb: 32 } });
      expect(v2.body.contentHash).not.toBe(v1.body.contentHash);
    });

    it('an identical re-upload is answered 200 with the latest version; nothing new is written', async () => {
      const before = await functionRows();
      const again = await upload('arr-score', {
        kind: 'score',
        runtime: 'typescript',
        source: SCORE_TS,
        // Same declaration in another order: the same content.
        fields: { task: ['priority', 'component', 'component'], member: ['load', 'skills'] },
        limits: { timeoutMs: 200, memoryMb: 32 },
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ version: 2, created: false });
      expect(await functionRows()).toBe(before);
    });

    it('lists names with their latest version, and the versions of one name newest first', async () => {
      await upload('is-vip', {
        kind: 'match',
        runtime: 'javascript',
        source: fnSource("  return input.task.customerTier === 'enterprise';"),
        fields: { task: ['customerTier'] },
      });
      const list = await call('/functions');
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { name: string; version: number }) => [i.name, i.version])).toEqual([
        ['arr-score', 2],
        ['is-vip', 1],
      ]);
      expect(list.body.next).toBeNull();
      const paged = await call('/functions?limit=1');
      expect(paged.body.items).toHaveLength(1);
      expect(paged.body.next).toBe('arr-score');
      expect((await call('/functions?limit=1&after=arr-score')).body.items[0].name).toBe('is-vip');

      const versions = await call('/functions/arr-score/versions');
      expect(versions.status).toBe(200);
      expect(versions.body.items.map((i: { version: number }) => i.version)).toEqual([2, 1]);
      expect(versions.body.items[0]).not.toHaveProperty('source');
      const page = await call('/functions/arr-score/versions?limit=1');
      expect(page.body).toMatchObject({ items: [{ version: 2 }], next: '2' });
      expect((await call('/functions/arr-score/versions?limit=1&after=2')).body).toMatchObject({
        items: [{ version: 1 }],
        next: null,
      });
    });

    it('one version shows its source and, for TypeScript, the code that runs (types stripped)', async () => {
      const js = await call('/functions/arr-score/versions/1');
      expect(js.status).toBe(200);
      expect(js.body).toMatchObject({ version: 1, source: SCORE_JS, code: SCORE_JS });
      const ts = await call('/functions/arr-score/versions/2');
      expect(ts.body.source).toBe(SCORE_TS);
      expect(ts.body.code).not.toMatch(/interface Candidate|: Record<string, number>/);
      expect(ts.body.code).toMatch(/export default function|as default/);
    });

    it('diffs two versions: unified source diff and the manifest fields that changed', async () => {
      const res = await call('/functions/arr-score/versions/1/diff/2');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'arr-score', from: 1, to: 2 });
      expect(res.body.source).toMatch(/^--- arr-score@1\n\+\+\+ arr-score@2\n@@ /);
      expect(res.body.source).toContain("\n-  console.log('scored', input.candidates.length);\n");
      expect(res.body.source).toContain('\n+interface Candidate');
      expect(res.body.changes).toEqual([
        { path: '/runtime', from: 'javascript', to: 'typescript' },
        { path: '/fields/task', from: ['component'], to: ['component', 'priority'] },
        { path: '/limits/timeoutMs', from: 50, to: 200 },
      ]);
      const same = await call('/functions/arr-score/versions/2/diff/2');
      expect(same.body).toMatchObject({ source: '', changes: [] });
    });

    it(':test runs a version on a sample: validated value, console.log lines, duration, the input it saw', async () => {
      const res = await call('/functions/arr-score/versions/1:test', { input: SAMPLE });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        outcome: 'ok',
        value: { scores: { alice: 3, bob: 2 } },
        logs: [expect.stringContaining('scored 2')],
      });
      expect(typeof res.body.durationMs).toBe('number');
      expect(res.body.input).toEqual({
        task: { component: 'payments' },
        candidates: [
          { id: 'alice', skills: { payments: 4 }, load: 1 },
          { id: 'bob', skills: { payments: 2 }, load: 0 },
        ],
        now: SAMPLE.now,
      });
      const ts = await call('/functions/arr-score/versions/2:test', { input: SAMPLE });
      expect(ts.body).toMatchObject({ outcome: 'ok', value: { scores: { alice: 7, bob: 4 } } });
    });

    it('a field the version does not declare is undefined inside the function; now is always there', async () => {
      const v = await upload('peek', {
        kind: 'decide',
        runtime: 'javascript',
        source: fnSource(
          [
            '  const c = input.candidates[0];',
            '  return { queue: [typeof input.task.title, typeof input.task.priority, typeof c.id, typeof c.name,',
            "    typeof c.load, typeof input.payload, typeof input.now].join(',') };",
          ].join('\n'),
        ),
        fields: { task: ['priority'], member: ['load'] },
      });
      expect(v.status).toBe(201);
      const res = await call('/functions/peek/versions/1:test', { input: { ...SAMPLE, payload: { secret: 'x' } } });
      expect(res.body).toMatchObject({
        outcome: 'ok',
        value: { queue: 'undefined,number,string,undefined,number,undefined,string' },
      });
    });

    it('a transform function gets only the payload paths it declares (through arrays), and no task', async () => {
      const v = await upload('hd-map', {
        kind: 'transform',
        runtime: 'javascript',
        source: fnSource(
          [
            '  const t = input.payload.ticket;',
            "  return { externalId: 'HD-' + t.id, title: typeof t.subject, labels: t.tags.map((x) => x.name + ':' + typeof x.colour) };",
          ].join('\n'),
        ),
        fields: { task: ['payload.ticket.id', 'payload.ticket.tags.name'] },
      });
      expect(v.status).toBe(201);
      const payload = {
        ticket: { id: 7, subject: 'Help', tags: [{ name: 'a', colour: 'red' }, { name: 'b' }] },
        token: 's3cr3t',
      };
      const res = await call('/functions/hd-map/versions/1:test', { input: { ...SAMPLE, payload } });
      expect(res.body).toMatchObject({
        outcome: 'ok',
        value: { externalId: 'HD-7', title: 'undefined', labels: ['a:undefined', 'b:undefined'] },
        input: { payload: { ticket: { id: 7, tags: [{ name: 'a' }, { name: 'b' }] } }, now: SAMPLE.now },
      });
      expect(res.body.input).not.toHaveProperty('task');
      expect(res.body.input).not.toHaveProperty('candidates');
    });

    it(':test reports a wrong answer as outcome invalid with the reason, and a throw as error', async () => {
      await upload('bad-score', {
        kind: 'score',
        runtime: 'javascript',
        source: fnSource("  if (input.now) return { scores: { mallory: 1 } };\n  throw new Error('never');"),
      });
      const invalid = await call('/functions/bad-score/versions/1:test', { input: SAMPLE });
      expect(invalid.status).toBe(200);
      expect(invalid.body).toMatchObject({
        outcome: 'invalid',
        value: { scores: { mallory: 1 } },
        error: 'score: "scores.mallory" is not a candidate',
      });
      await upload('thrower', {
        kind: 'match',
        runtime: 'javascript',
        source: fnSource("  throw new Error('no luck');"),
      });
      const thrown = await call('/functions/thrower/versions/1:test', { input: { now: SAMPLE.now } });
      expect(thrown.body.outcome).toBe('error');
      expect(thrown.body.error).toContain('no luck');
    });

    it('a remote function: the secret is returned once, never read back, and signs the :test call', async () => {
      const manifest = {
        kind: 'score',
        runtime: 'remote',
        remote: { url: remoteUrl, timeoutMs: 2000, retries: 0 },
        outputSchema: OUTPUT_SCHEMA,
        fields: { member: ['load'] },
      };
      const first = await upload('remote-score', manifest);
      expect(first.status).toBe(201);
      expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(first.body.remote).toEqual({ url: remoteUrl, timeoutMs: 2000, retries: 0 });
      expect(first.body).not.toHaveProperty('limits');
      remoteSecret = first.body.secret;

      const second = await upload('remote-score', { ...manifest, remote: { url: remoteUrl, retries: 1 } });
      expect(second.status).toBe(201);
      expect(second.body.version).toBe(2);
      expect(second.body).not.toHaveProperty('secret');
      const same = await upload('remote-score', { ...manifest, remote: { url: remoteUrl, retries: 1 } });
      expect(same.status).toBe(200);
      expect(same.body).not.toHaveProperty('secret');

      for (const path of [
        '/functions',
        '/functions/remote-score/versions',
        '/functions/remote-score/versions/1',
        '/functions/remote-score/versions/1/diff/2',
      ]) {
        const res = await call(path);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain(remoteSecret.slice(6));
      }
      const row = await t.store.db.selectFrom('function_secrets').selectAll().executeTakeFirstOrThrow();
      expect(row.secret).toMatch(/^v1:/);
      expect(row.secret).not.toContain(remoteSecret.slice(6));

      const tested = await call('/functions/remote-score/versions/2:test', { input: SAMPLE });
      expect(tested.body).toMatchObject({ outcome: 'ok', value: { scores: { alice: 0, bob: 1 } } });
      expect(tested.body.input.candidates).toEqual([
        { id: 'alice', load: 1 },
        { id: 'bob', load: 0 },
      ]);
    });

    it('bad manifests are 422 problem+json with pointers, and nothing is written', async () => {
      const rows = await functionRows();
      const audit = (await t.store.auditHead('acme'))?.seq;
      const cases: [string, unknown, string, RegExp][] = [
        [
          'Bad_Name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;') },
          '/name',
          /not a function name/,
        ],
        [
          'ok-name',
          { kind: 'guess', runtime: 'javascript', source: fnSource('return true;') },
          '/kind',
          /must be one of: decide, score, transform, match/,
        ],
        [
          'ok-name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;'), colour: 'red' },
          '/colour',
          /not a known key/,
        ],
        ['ok-name', { kind: 'match', runtime: 'javascript' }, '/source', /required/],
        [
          'ok-name',
          { kind: 'score', runtime: 'remote', remote: { url: 'https://fn.example.com/x' } },
          '/outputSchema',
          /required for runtime remote/,
        ],
        [
          'ok-name',
          { kind: 'score', runtime: 'remote', remote: { url: 'ftp://fn.example.com/x' }, outputSchema: OUTPUT_SCHEMA },
          '/remote/url',
          /http: or https:/,
        ],
        [
          'ok-name',
          { kind: 'score', runtime: 'remote', remote: { url: 'not a url' }, outputSchema: OUTPUT_SCHEMA },
          '/remote/url',
          /not a valid URL/,
        ],
        [
          'ok-name',
          { kind: 'score', runtime: 'remote', remote: { url: 'https://x.example' }, outputSchema: { type: 'objekt' } },
          '/outputSchema',
          /outputSchema/,
        ],
        [
          'ok-name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;'), fields: { task: ['salary'] } },
          '/fields/task/0',
          /not a Task field/,
        ],
        [
          'ok-name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;'), fields: { member: ['load'] } },
          '/fields/member/0',
          /receives no candidates/,
        ],
        [
          'ok-name',
          { kind: 'transform', runtime: 'javascript', source: fnSource('return {};'), fields: { task: ['title'] } },
          '/fields/task/0',
          /payload/,
        ],
        [
          'ok-name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;'), limits: { timeoutMs: 5000 } },
          '/limits/timeoutMs',
          /<= 1000/,
        ],
        [
          'ok-name',
          { kind: 'match', runtime: 'javascript', source: fnSource('return true;'), limits: { memoryMb: 4 } },
          '/limits/memoryMb',
          />= 8/,
        ],
      ];
      for (const [name, manifest, path, message] of cases) {
        const res = await upload(name, manifest);
        expect(res.status, `${name} ${JSON.stringify(manifest)}`).toBe(422);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toBe('urn:switchyard:problem:invalid-function');
        const problem = res.body.errors.find((e: { path: string }) => e.path === path);
        expect(problem, `${path} in ${JSON.stringify(res.body.errors)}`).toBeDefined();
        expect(problem.message).toMatch(message);
      }
      expect(await functionRows()).toBe(rows);
      expect((await t.store.auditHead('acme'))?.seq).toBe(audit);
    });

    it('a syntax error is 422 with its line and column; too large a source is 413', async () => {
      const js = await upload('broken', {
        kind: 'match',
        runtime: 'javascript',
        source: 'export default function (input) {\n  return input.task.title ===;\n}\n',
      });
      expect(js.status).toBe(422);
      expect(js.body.errors).toEqual([
        expect.objectContaining({ path: '/source', line: 2, column: expect.any(Number) }),
      ]);
      expect(js.body.detail).toMatch(/\/source/);
      const ts = await upload('broken', {
        kind: 'match',
        runtime: 'typescript',
        source: 'export default function (input: {) {\n  return true;\n}\n',
      });
      expect(ts.status).toBe(422);
      expect(ts.body.errors[0]).toMatchObject({ path: '/source', line: 1 });

      const big = await upload('big', {
        kind: 'match',
        runtime: 'javascript',
        source: fnSource(`  // ${'x'.repeat(70 * 1024)}\n  return true;`),
      });
      expect(big.status).toBe(413);
      expect(big.body.type).toBe('urn:switchyard:problem:function-source-too-large');
      expect((await call('/functions/broken/versions')).status).toBe(404);
      expect((await call('/functions/big/versions')).status).toBe(404);
    });

    it('unknown functions and versions are 404 problem+json; another tenant sees none of them', async () => {
      for (const path of [
        '/functions/nope/versions',
        '/functions/nope/versions/1',
        '/functions/arr-score/versions/9',
        '/functions/arr-score/versions/1/diff/9',
      ]) {
        const res = await call(path);
        expect(res.status, path).toBe(404);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toBe('urn:switchyard:problem:function-not-found');
      }
      expect((await call('/functions/arr-score/versions/9:test', { input: SAMPLE })).status).toBe(404);

      expect((await call('/functions', undefined, 'globex')).body.items).toEqual([]);
      for (const path of [
        '/functions/arr-score/versions',
        '/functions/arr-score/versions/1',
        '/functions/arr-score/versions/1/diff/2',
      ])
        expect((await call(path, undefined, 'globex')).status, path).toBe(404);
      expect((await call('/functions/arr-score/versions/1:test', { input: SAMPLE }, 'globex')).status).toBe(404);
      // globex's own arr-score starts at version 1.
      const own = await upload(
        'arr-score',
        { kind: 'match', runtime: 'javascript', source: fnSource('return false;') },
        'globex',
      );
      expect(own.body).toMatchObject({ version: 1, created: true });
    });

    it('every version is audited (never its source or secret) and the chain still verifies', async () => {
      const entries = await t.store.readAudit('acme', 0, 1000);
      const created = entries.filter((e) => e.kind === 'function.version.created');
      expect(created.map((e) => e.subject)).toEqual(
        expect.arrayContaining(['arr-score@1', 'arr-score@2', 'remote-score@1', 'remote-score@2']),
      );
      const first = JSON.parse(created.find((e) => e.subject === 'arr-score@1')?.data ?? '{}');
      expect(first).toEqual({
        name: 'arr-score',
        version: 1,
        kind: 'score',
        runtime: 'javascript',
        contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        author: expect.stringMatching(/^apikey:/),
      });
      expect(JSON.parse(created.find((e) => e.subject === 'remote-score@1')?.data ?? '{}')).toMatchObject({
        secretCreated: true,
      });
      for (const e of created) {
        expect(e.data).not.toContain('console.log');
        expect(e.data).not.toContain(remoteSecret.slice(6));
      }
      expect((await verifyTenantAudit(t.store, 'acme')).ok).toBe(true);
      expect((await verifyTenantAudit(t.store, 'globex')).ok).toBe(true);
    });

    it('the functions routes are in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${t.base}/api/v1/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/functions',
          '/api/v1/functions/{name}/versions',
          '/api/v1/functions/{name}/versions/{v}',
          '/api/v1/functions/{name}/versions/{a}/diff/{b}',
        ]),
      );
      expect(doc.paths['/api/v1/functions/{name}/versions']?.post?.requestBody).toBeDefined();
      expect(Object.keys(doc.paths).filter((p) => p.endsWith(':test') && p.includes('functions'))).toEqual([
        '/api/v1/functions/{name}/versions/{v}:test',
      ]);
    });

    it('CLI: push (JS and a YAML manifest), list, versions, diff and test on the same store', {
      timeout: 180_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sy-fn-'));
      const file = join(dir, 'triage.js');
      writeFileSync(file, fnSource("  console.log('hi');\n  return input.task.priority === 1;"));
      const db = ['--db', t.storeUrl, '--tenant', 'acme'];
      const pushed = await runCli([
        'functions',
        'push',
        file,
        '--name',
        'triage',
        '--kind',
        'match',
        '--fields-task',
        'priority,labels',
        '--timeout-ms',
        '100',
        '--message',
        'from the CLI',
        ...db,
      ]);
      expect(pushed.stderr).toContain('Created acme/triage@1');
      expect(pushed.code).toBe(0);
      expect(pushed.stdout.trim()).toBe('triage@1');

      const manifest = join(dir, 'triage.yaml');
      writeFileSync(
        join(dir, 'triage2.ts'),
        'export default function (input: { task: { priority?: number } }): boolean {\n  return (input.task.priority ?? 5) <= 2;\n}\n',
      );
      writeFileSync(
        manifest,
        [
          'name: triage',
          'kind: match',
          'sourceFile: triage2.ts',
          'fields:',
          '  task: [priority]',
          'message: widen',
        ].join('\n'),
      );
      const viaManifest = await runCli(['functions', 'push', '--manifest', manifest, ...db]);
      expect(viaManifest.stderr).toContain('Created acme/triage@2 (match, typescript');
      expect(viaManifest.code).toBe(0);
      const again = await runCli(['functions', 'push', '--manifest', manifest, ...db]);
      expect(again.stderr).toContain('Unchanged: acme/triage@2');

      const list = await runCli(['functions', 'list', ...db]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/triage\s+v2\s+match\s+typescript/);
      expect(list.stdout).toMatch(/cli:\S+\s+widen/);
      const versions = await runCli(['functions', 'versions', 'triage', '--json', ...db]);
      expect(JSON.parse(versions.stdout).map((v: { version: number }) => v.version)).toEqual([2, 1]);

      const diff = await runCli(['functions', 'diff', 'triage', '1', '2', ...db]);
      expect(diff.code).toBe(0);
      expect(diff.stdout).toContain('/runtime: "javascript" → "typescript"');
      expect(diff.stdout).toContain('/fields/task: ["labels","priority"] → ["priority"]');
      expect(diff.stdout).toContain('--- triage@1');
      expect(diff.stdout).toContain("-  console.log('hi');");

      const input = join(dir, 'input.json');
      writeFileSync(
        input,
        JSON.stringify({ task: { externalId: 'X-1', title: 'down', priority: 1 }, now: SAMPLE.now }),
      );
      const tested = await runCli(['functions', 'test', 'triage', '1', '--input', input, ...db]);
      expect(tested.code).toBe(0);
      expect(JSON.parse(tested.stdout)).toMatchObject({
        outcome: 'ok',
        value: true,
        logs: [expect.stringContaining('hi')],
        input: { task: { priority: 1 }, now: SAMPLE.now },
      });

      const bad = await runCli(['functions', 'push', file, '--name', 'Bad', '--kind', 'match', ...db]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('/name:');
      const missing = await runCli(['functions', 'test', 'triage', '7', '--input', input, ...db]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no function triage@7');

      const entries = await t.store.readAudit('acme', 0, 1000);
      const byCli = entries.find((e) => e.kind === 'function.version.created' && e.subject === 'triage@1');
      expect(JSON.parse(byCli?.data ?? '{}').author).toMatch(/^cli:/);
      const verify = await runCli(['audit', 'verify', '--db', t.storeUrl, '--tenant', 'acme']);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain('chain intact');
    });

    it('the registry caches versions (immutable) and secrets only briefly; a replaced secret is used after that', async () => {
      let versionReads = 0;
      let secretReads = 0;
      // The real store, counting the reads the registry makes through it.
      const counting = new Proxy(t.store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop === 'getFunctionVersion')
            return (...a: [string, string, number]) => {
              versionReads++;
              return target.getFunctionVersion(...a);
            };
          if (prop === 'getFunctionSecret')
            return (...a: [string, string]) => {
              secretReads++;
              return target.getFunctionSecret(...a);
            };
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      let now = 0;
      const registry = new FunctionRegistry(counting, { secretTtlMs: 1000, now: () => now });
      const ref = { name: 'arr-score', version: 1 };
      const a = await registry.get('acme', ref);
      const b = await registry.get('acme', ref);
      expect(b).toBe(a);
      expect(versionReads).toBe(1);
      expect(await registry.get('globex', ref)).toMatchObject({ tenantId: 'globex', kind: 'match' });
      expect(await registry.get('acme', { name: 'arr-score', version: 99 })).toBeUndefined();

      const key = await registry.secretOf('acme', 'remote-score');
      expect(key?.equals(Buffer.from(remoteSecret.slice('whsec_'.length), 'base64'))).toBe(true);
      expect(await registry.secretOf('acme', 'arr-score')).toBeUndefined();
      expect(await registry.secretOf('globex', 'remote-score')).toBeUndefined();
      const replaced = `whsec_${randomBytes(32).toString('base64')}`;
      await t.store.setFunctionSecret({
        tenantId: 'acme',
        name: 'remote-score',
        encrypted: encryptSecret(secretKeyFromEnv(), functionSecretWhere('acme', 'remote-score'), replaced),
        actor: 'test',
        now: new Date().toISOString(),
      });
      const reads = secretReads;
      expect((await registry.secretOf('acme', 'remote-score'))?.equals(key as Buffer)).toBe(true);
      expect(secretReads).toBe(reads);
      now += 1001;
      const fresh = await registry.secretOf('acme', 'remote-score');
      expect(fresh?.equals(Buffer.from(replaced.slice('whsec_'.length), 'base64'))).toBe(true);
      const audit = await t.store.readAudit('acme', 0, 10_000);
      const set = audit.filter((e) => e.kind === 'function.secret.set');
      expect(set).toHaveLength(1);
      expect(set[0]?.data).not.toContain(replaced.slice(6));
      // Put the original back: the remote test server signs with it.
      await t.store.setFunctionSecret({
        tenantId: 'acme',
        name: 'remote-score',
        encrypted: encryptSecret(secretKeyFromEnv(), functionSecretWhere('acme', 'remote-score'), remoteSecret),
        actor: 'test',
        now: new Date().toISOString(),
      });
      expect((await verifyTenantAudit(t.store, 'acme')).ok).toBe(true);
    });

    it('no response ever carried the remote secret after its creation', () => {
      const after = seen.filter((s) => s.includes(remoteSecret.slice(6)));
      expect(after).toHaveLength(1);
    });
  });
}
