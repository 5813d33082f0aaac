/**
 * The remote function runner against a real HTTP server on 127.0.0.1 playing the function:
 * requests are signed per Standard Webhooks (verified here with the `standardwebhooks`
 * package), answers must be signed for the same webhook-id, transient failures are retried
 * within a bounded deadline and nothing else is, and a breaker per (tenant, function) stops
 * calling a function that keeps failing. The documented example server runs here too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRemoteSpec, createRemoteRunner, remoteDeadlineMs } from '../src/functions/remote.js';
import {
  DEFAULT_SANDBOX_LIMITS,
  type FunctionInput,
  type FunctionVersion,
  type RemoteSpec,
} from '../src/functions/types.js';

const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const KEY = Buffer.from(WHSEC.slice('whsec_'.length), 'base64');
const wh = new Webhook(WHSEC);

const INPUT: FunctionInput = {
  task: { externalId: 'SUP-42', title: 'Checkout fails', component: 'payments', customerTier: 'enterprise' },
  candidates: [
    { id: 'm1', skills: { payments: 3 } },
    { id: 'm2', skills: { payments: 5 } },
  ],
  now: '2025-06-02T10:00:00.000Z',
};

function fnVersion(
  remote: Partial<RemoteSpec> & { url: string },
  over: Partial<FunctionVersion> = {},
): FunctionVersion {
  return {
    tenantId: 'acme',
    name: 'arr-score',
    version: 3,
    kind: 'score',
    runtime: 'remote',
    remote: { timeoutMs: 2_000, retries: 0, ...remote },
    fields: { task: ['component', 'customerTier'], member: ['id', 'skills'] },
    limits: DEFAULT_SANDBOX_LIMITS,
    contentHash: 'sha256:test',
    author: 'test',
    createdAt: '2025-06-01T00:00:00.000Z',
    ...over,
  };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the fake answers; `sign` false = no signature headers; `hang` = never answer. */
interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  sign?: false | { id?: string; at?: Date; secret?: string };
  hang?: boolean;
}

interface FakeFunction {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

const servers: FakeFunction[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fakeFunction(answer: (r: Received, n: number) => Answer): Promise<FakeFunction> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      const a = answer(r, received.length);
      if (a.hang) return;
      const body = a.body ?? JSON.stringify({ scores: { m1: 1 } });
      const headers: Record<string, string> = { 'content-type': 'application/json', ...a.headers };
      if (a.sign !== false) {
        const id = a.sign?.id ?? String(r.headers['webhook-id']);
        const at = a.sign?.at ?? new Date();
        const signer = a.sign?.secret ? new Webhook(a.sign.secret) : wh;
        headers['webhook-id'] = id;
        headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
        headers['webhook-signature'] = signer.sign(id, at, body);
      }
      res.writeHead(a.status ?? 200, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeFunction = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fn`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

const signed = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });

describe('remote function runner: the happy path', () => {
  it('sends a request the standardwebhooks package verifies and returns the verified answer', async () => {
    const fake = await fakeFunction(() => signed({ scores: { m1: 3, m2: 5 } }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url }), INPUT, KEY);

    expect(run).toMatchObject({ outcome: 'ok', value: { scores: { m1: 3, m2: 5 } }, logs: ['attempt 1: 200'] });
    expect(run.error).toBeUndefined();
    expect(run.durationMs).toBeGreaterThanOrEqual(0);

    expect(fake.received).toHaveLength(1);
    const req = fake.received[0]!;
    const headers = req.headers as Record<string, string>;
    expect(wh.verify(req.body, headers)).toEqual(INPUT);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('Switchyard-Functions/1');
    expect(headers['x-switchyard-function']).toBe('arr-score@3');
    expect(headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('mints a fresh webhook-id per call', async () => {
    const fake = await fakeFunction(() => signed({ scores: {} }));
    const runner = createRemoteRunner();
    await runner.run(fnVersion({ url: fake.url }), INPUT, KEY);
    await runner.run(fnVersion({ url: fake.url }), INPUT, KEY);
    const ids = fake.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('remote function runner: timeouts and retries', () => {
  it('a function that never answers ends as timeout, after one attempt with retries 0', async () => {
    const fake = await fakeFunction(() => ({ hang: true }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, timeoutMs: 150 }), INPUT, KEY);
    expect(run.outcome).toBe('timeout');
    expect(run.error).toBe('no answer within 150 ms');
    expect(fake.received).toHaveLength(1);
  });

  it('retries a timeout with the same webhook-id, then ends as timeout', async () => {
    const fake = await fakeFunction(() => ({ hang: true }));
    // No jitter: the backoff budget then leaves every attempt its full timeout.
    const runner = createRemoteRunner({ random: () => 0 });
    const run = await runner.run(fnVersion({ url: fake.url, timeoutMs: 100, retries: 2 }), INPUT, KEY);
    expect(run.outcome).toBe('timeout');
    expect(run.error).toBe('no answer within 100 ms (after 3 attempts)');
    expect(fake.received).toHaveLength(3);
    expect(new Set(fake.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Every retry is signed afresh and still verifies.
    for (const r of fake.received) expect(wh.verify(r.body, r.headers as Record<string, string>)).toEqual(INPUT);
  });

  it('500 then 200 with retries 1: ok after two attempts', async () => {
    const fake = await fakeFunction((_r, n) => (n === 1 ? signed({ oops: true }, 500) : signed({ scores: { m2: 1 } })));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 1 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'ok', value: { scores: { m2: 1 } } });
    expect(run.logs).toEqual(['attempt 1: 500', 'attempt 2: 200']);
    expect(fake.received).toHaveLength(2);
    expect(fake.received[0]!.headers['webhook-id']).toBe(fake.received[1]!.headers['webhook-id']);
  });

  it('500 on every attempt: error after retries + 1 attempts', async () => {
    const fake = await fakeFunction(() => signed({}, 500));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 2 }), INPUT, KEY);
    expect(run.outcome).toBe('error');
    expect(run.error).toBe('function answered 500 (after 3 attempts)');
    expect(fake.received).toHaveLength(3);
  });

  it('400 is not retried', async () => {
    const fake = await fakeFunction(() => signed({ error: 'bad' }, 400));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 3 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'function answered 400', logs: ['attempt 1: 400'] });
    expect(fake.received).toHaveLength(1);
  });

  it('a redirect is neither followed nor retried', async () => {
    const target = await fakeFunction(() => signed({ scores: {} }));
    const fake = await fakeFunction(() => ({ status: 307, headers: { location: target.url } }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 2 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'function answered 307; redirects are not followed' });
    expect(fake.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });

  it('429 with a short Retry-After: waits at least that long, then succeeds', async () => {
    const fake = await fakeFunction((_r, n) =>
      n === 1 ? { ...signed({}, 429), headers: { 'retry-after': '1' } } : signed({ scores: { m1: 2 } }),
    );
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, timeoutMs: 1_500, retries: 1 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'ok', value: { scores: { m1: 2 } } });
    expect(fake.received).toHaveLength(2);
    // A lower bound only: the runner must not come back before the function asked.
    expect(fake.received[1]!.at - fake.received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('429 with a Retry-After past the deadline: gives up at once instead of retrying early', async () => {
    const fake = await fakeFunction(() => ({ ...signed({}, 429), headers: { 'retry-after': '3600' } }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 3 }), INPUT, KEY);
    expect(run.outcome).toBe('error');
    expect(run.error).toBe('function answered 429 and asked to retry after 3600 s, past the deadline');
    expect(fake.received).toHaveLength(1);
  });

  it('connection refused is retried and ends as error', async () => {
    const fake = await fakeFunction(() => signed({}));
    const url = fake.url;
    await fake.close();
    const run = await createRemoteRunner().run(fnVersion({ url, retries: 1 }), INPUT, KEY);
    expect(run.outcome).toBe('error');
    expect(run.error).toMatch(/^connection failed: .+ \(after 2 attempts\)$/);
    expect(run.logs).toHaveLength(2);
  });

  it('the deadline bounds the whole call', () => {
    expect(remoteDeadlineMs({ timeoutMs: 1_000, retries: 0 })).toBe(1_000);
    expect(remoteDeadlineMs({ timeoutMs: 1_000, retries: 2 })).toBe(3_000 + 50 + 100);
    expect(remoteDeadlineMs({ timeoutMs: 30_000, retries: 5 })).toBe(180_000 + 50 + 100 + 200 + 400 + 400);
  });
});

describe('remote function runner: the answer must be signed for this request', () => {
  const cases: [string, Answer][] = [
    ['no signature headers', { body: '{"scores":{}}', sign: false }],
    [
      'signed with another secret',
      { body: '{"scores":{}}', sign: { secret: `whsec_${randomBytes(24).toString('base64')}` } },
    ],
    ['signed for a different webhook-id', { body: '{"scores":{}}', sign: { id: 'msg_someoneelse' } }],
    ['signed ten minutes ago', { body: '{"scores":{}}', sign: { at: new Date(Date.now() - 10 * 60_000) } }],
  ];
  for (const [name, answer] of cases) {
    it(`${name}: error, not retried`, async () => {
      const fake = await fakeFunction(() => answer);
      const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 2 }), INPUT, KEY);
      expect(run.outcome).toBe('error');
      expect(run.error).toBe('response signature did not verify');
      expect(run.value).toBeUndefined();
      expect(run.logs).toHaveLength(1);
      expect(run.logs[0]).toMatch(/^attempt 1: 200, response signature did not verify: /);
      expect(fake.received).toHaveLength(1);
    });
  }

  it('a body changed after signing does not verify', async () => {
    const fake = await fakeFunction((r) => {
      const id = String(r.headers['webhook-id']);
      const at = new Date();
      return {
        body: '{"scores":{"m1":100}}',
        sign: false,
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': wh.sign(id, at, '{"scores":{"m1":1}}'),
        },
      };
    });
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'response signature did not verify' });
  });

  it('a signed answer that is not JSON: error, one attempt', async () => {
    const fake = await fakeFunction(() => ({ body: 'scores: m1=3' }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 2 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'answer is not JSON' });
    expect(fake.received).toHaveLength(1);
  });

  it('an answer over 256 KB: error, one attempt', async () => {
    const big = JSON.stringify({ scores: {}, reason: 'x'.repeat(300 * 1024) });
    const fake = await fakeFunction(() => ({ body: big }));
    const run = await createRemoteRunner().run(fnVersion({ url: fake.url, retries: 2 }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'answer is larger than 256 KB' });
    expect(fake.received).toHaveLength(1);
  });
});

describe('remote function runner: circuit breaker per (tenant, function)', () => {
  it('after the threshold of failed calls the next call makes no request; a trial after the cool-down closes it', async () => {
    let healthy = false;
    const fake = await fakeFunction(() => (healthy ? signed({ scores: { m1: 1 } }) : signed({}, 503)));
    let clock = Date.now();
    const runner = createRemoteRunner({ breaker: { failureThreshold: 2, coolDownMs: 60_000 }, now: () => clock });
    const fn = fnVersion({ url: fake.url, retries: 1 });

    expect((await runner.run(fn, INPUT, KEY)).outcome).toBe('error');
    expect((await runner.run(fn, INPUT, KEY)).outcome).toBe('error');
    expect(fake.received).toHaveLength(4); // two calls, two attempts each

    const open = await runner.run(fn, INPUT, KEY);
    expect(open.outcome).toBe('error');
    expect(open.error).toBe(`circuit open until ${new Date(clock + 60_000).toISOString()}`);
    expect(fake.received).toHaveLength(4); // no request made

    // Another function of the same tenant, and the same function name of another tenant, are not paused.
    expect((await runner.run(fnVersion({ url: fake.url }, { name: 'other' }), INPUT, KEY)).logs).toHaveLength(1);
    expect((await runner.run(fnVersion({ url: fake.url }, { tenantId: 'globex' }), INPUT, KEY)).logs).toHaveLength(1);
    expect(fake.received).toHaveLength(6);

    clock += 60_000;
    healthy = true;
    expect((await runner.run(fn, INPUT, KEY)).outcome).toBe('ok'); // the trial
    expect((await runner.run(fn, INPUT, KEY)).outcome).toBe('ok'); // closed again
    expect(fake.received).toHaveLength(8);
  });

  it('answers that are wrong but prompt (bad signature, 4xx) do not open the breaker', async () => {
    const fake = await fakeFunction((_r, n) => (n % 2 ? { sign: false } : signed({}, 422)));
    const runner = createRemoteRunner({ breaker: { failureThreshold: 2 } });
    for (let i = 0; i < 4; i++) await runner.run(fnVersion({ url: fake.url }), INPUT, KEY);
    expect(fake.received).toHaveLength(4);
  });
});

describe('remote spec checks', () => {
  it('accepts http and https URLs within the limits', () => {
    expect(checkRemoteSpec({ url: 'https://fn.example.com/score', timeoutMs: 2_000, retries: 1 })).toEqual([]);
    expect(checkRemoteSpec({ url: 'http://127.0.0.1:8787/', timeoutMs: 1, retries: 0 })).toEqual([]);
    expect(checkRemoteSpec({ url: 'https://x.example/', timeoutMs: 30_000, retries: 5 })).toEqual([]);
  });

  it('names each problem', () => {
    expect(checkRemoteSpec({ url: 'ftp://fn.example.com/', timeoutMs: 2_000, retries: 1 })).toEqual([
      'remote.url must use http: or https:, not ftp:',
    ]);
    expect(checkRemoteSpec({ url: 'not a url', timeoutMs: 0, retries: 6 })).toEqual([
      'remote.url "not a url" is not a valid URL',
      'remote.timeoutMs must be an integer from 1 to 30000',
      'remote.retries must be an integer from 0 to 5',
    ]);
    expect(checkRemoteSpec({ url: 'https://u:p@fn.example.com/', timeoutMs: 30_001, retries: 1.5 })).toEqual([
      'remote.url must not carry a user name or password (the request is signed instead)',
      'remote.timeoutMs must be an integer from 1 to 30000',
      'remote.retries must be an integer from 0 to 5',
    ]);
    expect(checkRemoteSpec(null)).toEqual(['remote must be an object with url, timeoutMs and retries']);
  });

  it('the runner checks the spec again and makes no request for a bad one', async () => {
    const run = await createRemoteRunner().run(fnVersion({ url: 'file:///etc/passwd' }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'error', error: 'remote.url must use http: or https:, not file:' });
    const none = await createRemoteRunner().run({ ...fnVersion({ url: 'http://x/' }), remote: undefined }, INPUT, KEY);
    expect(none).toMatchObject({ outcome: 'error', error: 'the function has no remote URL' });
  });
});

describe('the documented example server', () => {
  const file = fileURLToPath(new URL('../examples/functions/arr-score-server.mjs', import.meta.url));
  const doc = fileURLToPath(new URL('../docs/functions-remote.md', import.meta.url));
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  it('is copied verbatim into docs/functions-remote.md', () => {
    const blocks = [...readFileSync(doc, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(readFileSync(file, 'utf8'));
  });

  it('runs, verifies our request and answers in a way the runner accepts', async () => {
    child = spawn(process.execPath, [file], {
      env: { ...process.env, FUNCTION_SECRET: WHSEC, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.on('exit', (code) => reject(new Error(`example server exited with ${code}`)));
    });
    const runner = createRemoteRunner();
    const run = await runner.run(fnVersion({ url }), INPUT, KEY);
    expect(run).toMatchObject({ outcome: 'ok', value: { scores: { m1: 9, m2: 15 } } });

    // A request signed with another secret is refused with 401 (not retried).
    const wrongKey = randomBytes(24);
    const refused = await runner.run(fnVersion({ url }, { name: 'other' }), INPUT, wrongKey);
    expect(refused).toMatchObject({ outcome: 'error', error: 'function answered 401' });
  });
});
