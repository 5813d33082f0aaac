/**
 * The problem catalog (src/http/problems.ts) and docs/problems.md hold the same types with the
 * same statuses, in both directions (the model is fastify's "every error is in Errors.md" test),
 * and fastify's own errors reach clients as catalog problems.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworkErrors, installProblemHandlers } from '../src/http/error-handler.js';
import { PROBLEM_CONTENT_TYPE } from '../src/http/problem.js';
import { PROBLEMS, type ProblemSlug } from '../src/http/problems.js';

const URN = 'urn:switchyard:problem:';
const catalog = new Map<string, number>(Object.entries(PROBLEMS).map(([slug, p]) => [slug, p.status]));

/** The table rows of docs/problems.md: `| <status> | \`<slug>\` | where | meaning |`. */
function documented(): { rows: { slug: string; status: number }[]; bySlug: Map<string, number> } {
  const markdown = readFileSync(new URL('../docs/problems.md', import.meta.url), 'utf8');
  const rows = [...markdown.matchAll(/^\|\s*(\d{3})\s*\|\s*`([^`]+)`\s*\|/gm)].map((m) => ({
    status: Number(m[1]),
    slug: m[2] as string,
  }));
  return { rows, bySlug: new Map(rows.map((r) => [r.slug, r.status])) };
}

describe('the problem catalog', () => {
  it('declares every entry with a 4xx or 5xx status, a kebab-case slug and a title', () => {
    const bad = Object.entries(PROBLEMS)
      .filter(
        ([slug, p]) => !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(slug) || p.status < 400 || p.status > 599 || !p.title,
      )
      .map(([slug, p]) => `${slug} (${p.status}, ${JSON.stringify(p.title)})`);
    expect(
      bad,
      `catalog entries that are not kebab-case slugs with a 4xx/5xx status and a title: ${bad.join(', ')}`,
    ).toEqual([]);
  });

  it('lists each type once in docs/problems.md', () => {
    const { rows } = documented();
    const seen = new Set<string>();
    const twice = rows.filter((r) => seen.has(r.slug) || !seen.add(r.slug)).map((r) => r.slug);
    expect(twice, `types in more than one row of docs/problems.md: ${twice.join(', ')}`).toEqual([]);
  });

  it('holds the same types as docs/problems.md, in both directions', () => {
    const { bySlug } = documented();
    const undocumented = [...catalog.keys()].filter((slug) => !bySlug.has(slug));
    const notInCatalog = [...bySlug.keys()].filter((slug) => !catalog.has(slug));
    expect(
      undocumented,
      `in src/http/problems.ts but missing from docs/problems.md: ${undocumented.join(', ')}`,
    ).toEqual([]);
    expect(
      notInCatalog,
      `in docs/problems.md but missing from src/http/problems.ts: ${notInCatalog.join(', ')}`,
    ).toEqual([]);
  });

  it('gives each type the same status in both', () => {
    const { bySlug } = documented();
    const differ = [...catalog]
      .filter(([slug, status]) => bySlug.has(slug) && bySlug.get(slug) !== status)
      .map(([slug, status]) => `${slug}: catalog ${status}, docs ${bySlug.get(slug)}`);
    expect(differ, `statuses that differ: ${differ.join('; ')}`).toEqual([]);
  });
});

describe("fastify's own errors are answered with catalog problems", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ logger: false, frameworkErrors });
    installProblemHandlers(app);
    app.post(
      '/things',
      {
        schema: {
          body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/things/:id', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('a bug');
    });
    app.get('/refused', async () => {
      throw Object.assign(new Error('refused by a plugin'), { statusCode: 400 });
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const json = { 'content-type': 'application/json' };
  const cases: [string, () => Promise<LightMyRequestResponse>, ProblemSlug][] = [
    [
      'a body that fails the schema',
      () => app.inject({ method: 'POST', url: '/things', headers: json, payload: '{}' }),
      'validation-failed',
    ],
    [
      'a body over 1 MiB',
      () => app.inject({ method: 'POST', url: '/things', headers: json, payload: `"${'x'.repeat(1024 * 1024)}"` }),
      'payload-too-large',
    ],
    [
      'a body that is not JSON',
      () => app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'text/csv' }, payload: 'a,b' }),
      'unsupported-media-type',
    ],
    [
      'malformed JSON',
      () => app.inject({ method: 'POST', url: '/things', headers: json, payload: '{"name":' }),
      'malformed-json',
    ],
    [
      'an empty JSON body',
      () => app.inject({ method: 'POST', url: '/things', headers: json, payload: '' }),
      'malformed-json',
    ],
    ['a URL with no route', () => app.inject({ method: 'GET', url: '/nothing-here' }), 'route-not-found'],
    ['a URL that does not decode', () => app.inject({ method: 'GET', url: '/things/%zz' }), 'bad-request'],
    [
      'a path segment over 100 characters',
      () => app.inject({ method: 'GET', url: `/things/${'x'.repeat(101)}` }),
      'uri-too-long',
    ],
    ['another 4xx error', () => app.inject({ method: 'GET', url: '/refused' }), 'bad-request'],
    ['an unexpected error', () => app.inject({ method: 'GET', url: '/boom' }), 'internal'],
  ];
  for (const [what, send, slug] of cases) {
    it(`${what}: ${slug}`, async () => {
      const res = await send();
      const body = res.json() as Record<string, unknown>;
      expect(res.headers['content-type']).toContain(PROBLEM_CONTENT_TYPE);
      expect(body).toMatchObject({ type: `${URN}${slug}`, status: PROBLEMS[slug].status, title: PROBLEMS[slug].title });
      expect(res.statusCode).toBe(PROBLEMS[slug].status);
      expect(typeof body.detail).toBe('string');
    });
  }
});
