/**
 * The sandbox runner on its own: tenant code in a V8 isolate with the version's limits, no host
 * access, JSON in and out, the decision's clock, deterministic Math.random, bounded logs, and a
 * host (and other tenants) that keep going whatever one function does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource, createSandbox, nodeSnapshotDisabled, stripTypes } from '../src/functions/sandbox/index.js';
import type { FunctionInput, FunctionVersion, SandboxLimits } from '../src/functions/types.js';

const NOW = '2025-03-04T05:06:07.000Z';
const LIMITS: SandboxLimits = { timeoutMs: 100, memoryMb: 32 };
/** What "a small margin" past timeoutMs means here: a loaded 2-core CI machine, not a fast laptop. */
const MARGIN_MS = 400;

let seq = 0;
function version(code: string, over: Partial<FunctionVersion> = {}): FunctionVersion {
  seq++;
  return {
    tenantId: 'acme',
    name: `f${seq}`,
    version: 1,
    kind: 'score',
    runtime: 'javascript',
    source: code,
    code,
    fields: { task: ['labels'], member: ['skills', 'load'] },
    limits: LIMITS,
    contentHash: `sha256:test-${seq}`,
    author: 'test',
    createdAt: NOW,
    ...over,
  };
}

const candidates = Array.from({ length: 20 }, (_, i) => ({
  id: `m${i}`,
  skills: ['payments', 'kafka', 'postgres'].slice(0, 1 + (i % 3)),
  load: i % 5,
}));
const input: FunctionInput = { now: NOW, task: { id: 't1', labels: ['payments', 'kafka'] }, candidates };

const SCORE = `export default function (input) {
  const scores = {};
  for (const c of input.candidates) {
    let s = 0;
    for (const l of input.task.labels) if (c.skills.includes(l)) s += 10;
    scores[c.id] = s - c.load;
  }
  return { scores };
}`;

const sandbox = createSandbox();
afterAll(() => sandbox.close());

describe('sandbox: running a function', () => {
  it('runs on the flag isolated-vm asks for (vitest forks get --no-node-snapshot)', () => {
    expect(nodeSnapshotDisabled()).toBe(true);
  });

  it('calls the default export with the input as JSON and returns its JSON answer', async () => {
    const run = await sandbox.run(version(SCORE), input);
    expect(run.outcome).toBe('ok');
    const scores = (run.value as { scores: Record<string, number> }).scores;
    expect(Object.keys(scores)).toHaveLength(20);
    expect(scores.m0).toBe(10);
    expect(scores.m1).toBe(19);
    expect(run.durationMs).toBeGreaterThan(0);
    expect(run.logs).toEqual([]);
  });

  it('compiles a version once: warm calls reuse the isolate and the compiled module', async () => {
    const fn = version(SCORE);
    await sandbox.run(fn, input);
    const before = sandbox.stats().compiles;
    for (let i = 0; i < 20; i++) expect((await sandbox.run(fn, input)).outcome).toBe('ok');
    expect(sandbox.stats().compiles).toBe(before);
  });

  it('keeps at most maxWarm isolates', async () => {
    const small = createSandbox({ maxWarm: 2 });
    try {
      for (let i = 0; i < 5; i++) expect((await small.run(version(SCORE), input)).outcome).toBe('ok');
      await new Promise((r) => setTimeout(r, 10));
      expect(small.stats().warm).toBeLessThanOrEqual(2);
    } finally {
      await small.close();
    }
  });

  it('awaits a returned promise inside the sandbox', async () => {
    const run = await sandbox.run(
      version('export default async function (input) { await null; return { n: input.candidates.length }; }'),
      input,
    );
    expect(run).toMatchObject({ outcome: 'ok', value: { n: 20 } });
  });

  it('a promise that never settles is an error, not a hang', async () => {
    const run = await sandbox.run(version('export default () => new Promise(() => {})'), input);
    expect(run.outcome).toBe('error');
    expect(run.error).toMatch(/never settled/);
  });

  it('runs TypeScript once its types are stripped', async () => {
    const code = stripTypes(`interface In { candidates: { id: string }[] }
export default function (input: In): { ids: string[] } {
  return { ids: input.candidates.map((c) => c.id as string) };
}`);
    const run = await sandbox.run(version(code, { runtime: 'typescript' }), input);
    expect(run.outcome).toBe('ok');
    expect((run.value as { ids: string[] }).ids).toHaveLength(20);
  });

  it('a thrown error is an error with its message and where it was thrown', async () => {
    const run = await sandbox.run(
      version('export default function () {\n  const x = undefined;\n  return x.y;\n}'),
      input,
    );
    expect(run.outcome).toBe('error');
    expect(run.error).toMatch(/^TypeError: Cannot read properties of undefined .*\(at 3:\d+\)$/);
  });

  it('never throws: bad code, a bad clock, a closed sandbox all end in a FunctionRun', async () => {
    expect(await sandbox.run(version('export default () => {'), input)).toMatchObject({
      outcome: 'error',
      error: expect.stringMatching(/^SyntaxError: .*\(line 1:\d+\)$/),
    });
    expect(await sandbox.run(version('export const x = 1;'), input)).toMatchObject({
      outcome: 'error',
      error: expect.stringMatching(/default export/),
    });
    expect(await sandbox.run(version(SCORE), { ...input, now: 'yesterday' })).toMatchObject({
      outcome: 'error',
      error: expect.stringMatching(/input\.now/),
    });
    const closed = createSandbox();
    await closed.close();
    expect(await closed.run(version(SCORE), input)).toMatchObject({ outcome: 'error', error: 'the sandbox is closed' });
  });
});

describe('sandbox: the synchronous fast path', () => {
  it('a quick function stays on it; one that needs longer than its budget is demoted once and still answers', async () => {
    const own = createSandbox({ syncBudgetMs: 2 });
    try {
      const quick = version(SCORE);
      for (let i = 0; i < 3; i++) expect((await own.run(quick, input)).outcome).toBe('ok');
      expect(own.stats().demoted).toBe(0);
      // Deterministic work well past 2 ms and well inside the 100 ms limit.
      const slow = version(
        'export default function () { let x = 0; for (let i = 0; i < 3e6; i++) x = (x + i) % 7919; return x; }',
      );
      const first = await own.run(slow, input);
      expect(first).toMatchObject({ outcome: 'ok', value: expect.any(Number) });
      expect(own.stats().demoted).toBe(1);
      expect(await own.run(slow, input)).toMatchObject({ outcome: 'ok', value: first.value });
      expect(own.stats().demoted).toBe(1);
      // An async function's microtasks run off-thread: demoted too, with the right answer.
      const later = version('export default async function () { return await Promise.resolve(7); }');
      expect(await own.run(later, input)).toMatchObject({ outcome: 'ok', value: 7 });
      expect(own.stats().demoted).toBe(2);
    } finally {
      await own.close();
    }
  });
});

describe('sandbox: limits', () => {
  it('an infinite loop ends in timeout within timeoutMs plus a margin, and the event loop keeps serving', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    let timerFiredAt = 0;
    const started = performance.now();
    setTimeout(() => {
      timerFiredAt = performance.now();
    }, 20);
    const run = await sandbox.run(version('export default function () { for (;;) {} }'), input);
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    expect(run.outcome).toBe('timeout');
    expect(run.error).toMatch(/longer than 100 ms/);
    expect(elapsed).toBeLessThan(LIMITS.timeoutMs + MARGIN_MS);
    expect(run.durationMs).toBeLessThan(LIMITS.timeoutMs + MARGIN_MS);
    // The host's timers fired while the function was still looping.
    expect(timerFiredAt).toBeGreaterThan(0);
    expect(timerFiredAt - started).toBeLessThan(elapsed);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  it('an infinite loop after an await is stopped as well, with the logs written before it', async () => {
    // A generous hard stop: on a starved CI machine the host could otherwise dispose the isolate
    // before V8's own timeout fires, and the logs go with it.
    const patient = createSandbox({ hardStopGraceMs: 5_000 });
    try {
      const run = await patient.run(
        version('export default async function () { console.log("before"); await null; for (;;) {} }'),
        input,
      );
      expect(run.outcome).toBe('timeout');
      expect(run.logs).toEqual(['before']);
    } finally {
      await patient.close();
    }
    const run = await sandbox.run(version('export default async function () { await null; for (;;) {} }'), input);
    expect(run.outcome).toBe('timeout');
    expect(run.durationMs).toBeLessThan(LIMITS.timeoutMs + MARGIN_MS);
  });

  it('an infinite loop at the module top level is a timeout too', async () => {
    const run = await sandbox.run(version('for (;;) {}\nexport default () => 1;'), input);
    expect(run.outcome).toBe('timeout');
    expect(run.durationMs).toBeLessThan(LIMITS.timeoutMs + MARGIN_MS);
  });

  it('a 500 MB allocation ends in error (memory limit) without taking the process down; the next call works', async () => {
    const fn = version(
      `export default function (input) {
        if (input.task.alloc === 'array') { const a = []; for (;;) a.push(new Array(1e6).fill(7)); }
        if (input.task.alloc === 'buffer') return new Uint8Array(500 * 1024 * 1024).length;
        if (input.task.alloc === 'string') { const s = 'x'.repeat(1e6); const keep = []; for (;;) keep.push((s + keep.length).toUpperCase()); }
        return { fine: true };
      }`,
      { limits: { timeoutMs: 5_000, memoryMb: 32 } },
    );
    const rssBefore = process.memoryUsage().rss;
    for (const alloc of ['array', 'buffer', 'string']) {
      const run = await sandbox.run(fn, { ...input, task: { alloc } });
      expect(run.outcome, alloc).toBe('error');
      expect(run.error, alloc).toMatch(/memory limit of 32 MB/);
      // Recreated after the fatal fault: the same version answers again.
      expect(await sandbox.run(fn, input), alloc).toMatchObject({ outcome: 'ok', value: { fine: true } });
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  });

  it('deep recursion is an error', async () => {
    const run = await sandbox.run(version('export default function f(i) { return f(i) + 1; }'), input);
    expect(run.outcome).toBe('error');
    expect(run.error).toMatch(/Maximum call stack size exceeded/);
  });

  it("a fault in one tenant's function does not disturb another tenant's calls running meanwhile", async () => {
    const hog = version('export default function () { const a = []; for (;;) a.push(new Array(1e6).fill(7)); }', {
      tenantId: 'tenant-a',
      limits: { timeoutMs: 5_000, memoryMb: 32 },
    });
    const looper = version('export default function () { for (;;) {} }', { tenantId: 'tenant-a' });
    const fair = version(SCORE, { tenantId: 'tenant-b' });
    const [hogRun, loopRun, ...others] = await Promise.all([
      sandbox.run(hog, input),
      sandbox.run(looper, input),
      ...Array.from({ length: 30 }, () => sandbox.run(fair, input)),
    ]);
    expect(hogRun?.outcome).toBe('error');
    expect(loopRun?.outcome).toBe('timeout');
    for (const run of others) expect(run.outcome).toBe('ok');
    expect(others[0]?.value).toEqual((await sandbox.run(version(SCORE), input)).value);
  });
});

describe('sandbox: no way out', () => {
  it('has no require, process, fetch, timers, WebAssembly or module loading', async () => {
    const probe = await sandbox.run(
      version(`export default () => [typeof require, typeof process, typeof fetch, typeof setTimeout,
        typeof setImmediate, typeof WebAssembly, typeof performance, typeof Buffer, typeof global, typeof module].join()`),
      input,
    );
    expect(probe).toMatchObject({ outcome: 'ok', value: Array(10).fill('undefined').join() });
    const attempts = {
      require: "export default () => require('fs').readFileSync('/etc/passwd', 'utf8')",
      process: 'export default () => process.exit(1)',
      dynamicImport: "export default async () => (await import('fs')).readFileSync('/etc/passwd', 'utf8')",
      staticImport: "import fs from 'fs';\nexport default () => fs.readFileSync('/etc/passwd', 'utf8')",
      fetch: "export default async () => (await fetch('http://127.0.0.1:1/')).status",
      constructor: "export default () => globalThis.constructor.constructor('return process')().env",
      thisConstructor: "export default function () { return this.constructor.constructor('return process')().env; }",
      functionCtor: "export default () => Function('return this')().process.env",
      errorStack: `export default () => {
        Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis());
        return new Error('x').stack;
      }`,
    };
    for (const [name, code] of Object.entries(attempts)) {
      const run = await sandbox.run(version(code), input);
      expect(run.outcome, `${name}: ${JSON.stringify(run)}`).toBe('error');
    }
  });

  it('prototype pollution neither reaches the host nor the next call of another function or tenant', async () => {
    const attempts = [
      'export default () => { Object.prototype.polluted = 1; return {}; }',
      'export default () => { ({}).__proto__.polluted = true; return {}; }',
      "export default () => { Object.defineProperty(Object.prototype, 'polluted', { value: 1 }); return {}; }",
      'export default () => { Array.prototype.push = () => 0; return {}; }',
      'export default () => { JSON.parse = () => ({ polluted: true }); return {}; }',
      'export default () => { globalThis.polluted = 1; return {}; }',
    ];
    for (const code of attempts) {
      const run = await sandbox.run(version(code, { tenantId: 'evil' }), input);
      expect(run.outcome, code).toBe('error');
      expect(run.error, code).toMatch(/TypeError: Cannot (add|assign|define|redefine)/);
    }
    // A try/catch around it does not help either: the built-ins are frozen, not just guarded.
    const quiet = await sandbox.run(
      version(
        'export default () => { try { Object.prototype.polluted = 1; } catch {} return ({}).polluted ?? null; }',
        {
          tenantId: 'evil',
        },
      ),
      input,
    );
    expect(quiet).toMatchObject({ outcome: 'ok', value: null });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    const witness = await sandbox.run(
      version(
        `export default () => ({
          seen: ({}).polluted ?? null,
          global: globalThis.polluted ?? null,
          parsed: JSON.parse('{"a":1}'),
          pushed: [].push(1),
        })`,
        { tenantId: 'innocent' },
      ),
      input,
    );
    expect(witness).toMatchObject({ outcome: 'ok', value: { seen: null, global: null, parsed: { a: 1 }, pushed: 1 } });
  });

  it('returns only JSON: a function, a symbol, a bigint, a cycle or undefined is an error that says so', async () => {
    const cases: [string, RegExp][] = [
      ['export default () => () => 1', /returned a function, which is not JSON/],
      ["export default () => ({ scores: { a: Symbol('x') } })", /holds a symbol at key "a"/],
      ['export default () => ({ n: 10n })', /holds a bigint at key "n"/],
      ['export default () => { const a = {}; a.self = a; return a; }', /not JSON: .*circular/],
      ['export default () => {}', /returned undefined/],
    ];
    for (const [code, message] of cases) {
      const run = await sandbox.run(version(code), input);
      expect(run.outcome, code).toBe('error');
      expect(run.error, code).toMatch(message);
    }
    const copied = await sandbox.run(version('export default (input) => input'), input);
    expect(copied.value).toEqual(input);
    expect(copied.value).not.toBe(input);
  });
});

describe('sandbox: clock, randomness and logs', () => {
  it("Date.now(), new Date(), Date() and Intl's format() all give input.now", async () => {
    const fn = version(`export default () => ({
      now: Date.now(),
      iso: new Date().toISOString(),
      str: Date(),
      later: new Date(2030, 0, 1).getFullYear(),
      isDate: new Date() instanceof Date,
      intl: new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(),
    })`);
    for (const now of [NOW, '2031-12-31T23:59:59.000Z']) {
      const run = await sandbox.run(fn, { ...input, now });
      expect(run.outcome).toBe('ok');
      const v = run.value as Record<string, unknown>;
      expect(v.now).toBe(Date.parse(now));
      expect(v.iso).toBe(now);
      expect(new Date(v.str as string).getTime()).toBe(Date.parse(now));
      expect(v.later).toBe(2030);
      expect(v.isDate).toBe(true);
      expect(v.intl).toBe(
        new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
          Date.parse(now),
        ),
      );
    }
  });

  it('Math.random is seeded from the content hash: the same sequence on every call of a version', async () => {
    const code = 'export default () => [Math.random(), Math.random(), Math.random()]';
    const a = version(code, { contentHash: 'sha256:same' });
    const first = await sandbox.run(a, input);
    const second = await sandbox.run(a, input);
    const elsewhere = createSandbox();
    const fresh = await elsewhere.run({ ...a }, input);
    await elsewhere.close();
    const other = await sandbox.run(version(code, { contentHash: 'sha256:other' }), input);
    expect(first.value).toEqual(second.value);
    expect(fresh.value).toEqual(first.value);
    expect(other.value).not.toEqual(first.value);
    for (const x of first.value as number[]) expect(x >= 0 && x < 1).toBe(true);
  });

  it('captures console.log/info/warn/error, at most 50 lines of at most 500 characters', async () => {
    const run = await sandbox.run(
      version(`export default () => {
        console.log('plain', 1, { a: [1, 2] });
        console.info('info');
        console.warn('careful');
        console.error(new Error('bad').message);
        return null;
      }`),
      input,
    );
    expect(run).toMatchObject({ outcome: 'ok', value: null });
    expect(run.logs).toEqual(['plain 1 {"a":[1,2]}', 'info', 'warn: careful', 'error: bad']);
    const flood = await sandbox.run(
      version("export default () => { for (let i = 0; i < 1000; i++) console.log('x'.repeat(10_000)); return 1; }"),
      input,
    );
    expect(flood.outcome).toBe('ok');
    expect(flood.logs).toHaveLength(50);
    for (const line of flood.logs.slice(0, 49)) expect(line.length).toBeLessThanOrEqual(500);
    expect(flood.logs[49]).toBe('(951 more lines not kept)');
  });
});

describe('upload-time checks', () => {
  it('checkSource reports a syntax error with its line and column', () => {
    expect(checkSource('export default function (x) {\n  return x +;\n}')).toEqual({
      ok: false,
      error: "Unexpected token ';' (line 2:13)",
      line: 2,
      column: 13,
    });
  });

  it('checkSource wants a self-contained module with a default export, and runs none of it', () => {
    expect(checkSource(SCORE)).toEqual({ ok: true });
    expect(checkSource('function f() {}\nexport { f as default };')).toEqual({ ok: true });
    expect(checkSource('for (;;) {}\nexport default () => 1;')).toEqual({ ok: true });
    expect(checkSource('export const score = () => 1;')).toMatchObject({ ok: false, error: /no default export/ });
    expect(checkSource("import fs from 'fs';\nexport default () => fs;")).toMatchObject({
      ok: false,
      error: /imports are not available/,
    });
  });

  it('stripTypes turns TypeScript into JavaScript, and reports a syntax error with its line and column', () => {
    const js = stripTypes(
      'type S = Record<string, number>;\nexport default function (i: unknown): S { return {} as S; }',
    );
    expect(js).not.toMatch(/Record|: S|as S/);
    expect(checkSource(js)).toEqual({ ok: true });
    expect(() => stripTypes('const a: number = 1;\nconst b: = 2;')).toThrow(/\(line 2:\d+\)/);
    try {
      stripTypes('const a: number = 1;\nconst b: = 2;');
    } catch (e) {
      expect(e).toMatchObject({ line: 2, column: expect.any(Number) });
    }
  });
});
