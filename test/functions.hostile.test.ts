/**
 * Hostile and broken functions inside real decisions: an infinite loop, a 500 MB allocation,
 * deep recursion, escape attempts (require, process, import), prototype pollution and a wrong
 * answer each end in a recorded fallback, within the function's time limit (plus a margin),
 * while another tenant's events keep being decided.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const TIMEOUT_MS = 200;
/** Generous on purpose: the point is that the limit holds, not how fast the machine is. */
const MARGIN_MS = 1_500;

const HOSTILE: Record<string, { code: string; outcome: string[] }> = {
  loop: { code: 'export default function () { for (;;) {} }', outcome: ['timeout'] },
  alloc: {
    code: 'export default function () { const a = []; for (;;) a.push(new Array(1e6).fill(7)); }',
    outcome: ['error', 'timeout'],
  },
  buffer: {
    code: 'export default function () { return { n: new Uint8Array(500 * 1024 * 1024).length }; }',
    outcome: ['error', 'invalid'],
  },
  recurse: { code: 'export default function f(i) { return f(i) + 1; }', outcome: ['error'] },
  require: {
    code: "export default function () { return require('fs').readFileSync('/etc/passwd', 'utf8'); }",
    outcome: ['error'],
  },
  process: { code: 'export default function () { process.exit(1); }', outcome: ['error'] },
  import: {
    code: "export default async function () { const fs = await import('node:fs'); return fs.readFileSync('/etc/passwd'); }",
    outcome: ['error'],
  },
  escape: {
    code: "export default function () { return this.constructor.constructor('return process')().env; }",
    outcome: ['error', 'invalid'],
  },
  pollute: {
    code: 'export default function () { Object.prototype.scores = { alice: 100 }; ({}).__proto__.polluted = true; return {}; }',
    // The sandbox freezes the built-in prototypes, so the write itself throws.
    outcome: ['error', 'invalid'],
  },
  shape: { code: "export default function () { return { scores: { alice: 'high' } }; }", outcome: ['invalid'] },
};

const routes = Object.keys(HOSTILE)
  .map(
    (name) => `
        - name: ${name}
          when: { field: type, eq: ${name} }
          strategy: least_loaded
          members: [alice, bob]
          score: ${name}@1`,
  )
  .join('');

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
      routes:${routes}
  - id: globex
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.globex}] }
    members:
      - { id: gina, capacity: 500 }
    policy:
      fallbackQueue: triage
      routes:
        - { name: all, strategy: least_loaded, members: [gina] }
`;

for (const kind of STORES) {
  describe(`hostile functions end in a recorded fallback (${kind})`, () => {
    const { server: t, api } = useTestServer(kind, { configYaml: CONFIG });
    beforeAll(async () => {
      for (const [name, { code }] of Object.entries(HOSTILE)) {
        const res = await api(`/functions/${name}/versions`, {
          kind: 'score',
          runtime: 'javascript',
          source: code,
          limits: { timeoutMs: TIMEOUT_MS, memoryMb: 32 },
        });
        expect(res.status, await res.clone().text()).toBe(201);
      }
    });

    it('every one falls back to least_loaded, records why, and the other tenant is served meanwhile', async () => {
      const ids = Object.keys(HOSTILE).map((name) => ({
        name,
        externalId: `H-${name}-${randomBytes(3).toString('hex')}`,
      }));
      for (const { name, externalId } of ids) {
        const res = await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId, type: name }));
        expect(res.status).toBe(202);
      }
      // Another tenant's traffic, sent while acme's functions misbehave.
      const others = Array.from({ length: 20 }, (_, i) => `G-${i}-${randomBytes(3).toString('hex')}`);
      const accepted = await Promise.all(
        others.map((externalId) =>
          postEvent(t.base, '/hooks/globex/tickets', taskPayload({ externalId }), { secret: SECRETS.globex }),
        ),
      );
      expect(accepted.map((r) => r.status)).toEqual(others.map(() => 202));

      for (const { name, externalId } of ids) {
        const row = await waitFor(() =>
          t.store.db
            .selectFrom('decisions')
            .innerJoin('tasks', (j) =>
              j.onRef('tasks.id', '=', 'decisions.task_id').onRef('tasks.tenant_id', '=', 'decisions.tenant_id'),
            )
            .select(['decisions.assignee', 'decisions.route', 'decisions.detail'])
            .where('tasks.tenant_id', '=', 'acme')
            .where('tasks.external_id', '=', externalId)
            .executeTakeFirst(),
        );
        expect(row.route, name).toBe(name);
        expect(['alice', 'bob'], name).toContain(row.assignee); // least_loaded decided, not the function
        const [call] = (JSON.parse(row.detail) as { functions: Record<string, unknown>[] }).functions;
        expect(call, name).toMatchObject({ name, version: 1, fallback: { action: 'config' } });
        expect(HOSTILE[name]?.outcome, `${name}: ${JSON.stringify(call)}`).toContain(call?.outcome);
        expect(Number(call?.durationMs), name).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      }
      const globexDecided = await waitFor(async () => {
        const r = await t.store.db
          .selectFrom('decisions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', 'globex')
          .executeTakeFirstOrThrow();
        return Number(r.n) === others.length ? true : undefined;
      });
      expect(globexDecided).toBe(true);
      // Nothing leaked into the host.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).scores).toBeUndefined();
    });
  });
}
