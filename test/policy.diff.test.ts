/**
 * Policy diff: routes added, removed, reordered (old → new index) and changed field by field,
 * the fallback queue, members and teams, on hand-built routing documents; the terminal
 * rendering; and the same diff through GET /api/v1/policies/versions/:a/diff/:b and
 * `switchyard policy diff` against a real server and store (both stores).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RoutingDocument } from '../src/config/tenant.js';
import { diffRouting, longestIncreasingRun } from '../src/policy/diff.js';
import { formatDiff } from '../src/policy/diff-format.js';
import { runCli } from './support/cli.js';
import { useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

/** These tests start `switchyard` child processes (a few seconds each when the machine is busy). */
const CLI_TIMEOUT = 240_000;

type Route = RoutingDocument['policy']['routes'][number];
const route = (name: string, extra: Partial<Route> = {}): Route => ({ name, strategy: 'least_loaded', ...extra });

function documentA(): RoutingDocument {
  return {
    policy: {
      fallbackQueue: 'triage',
      routes: [
        route('requested', { strategy: 'direct', when: { field: 'requestedAssignee', matches: '.+' } }),
        route('payments', {
          strategy: 'round_robin',
          teams: ['payments'],
          when: { field: 'labels', contains: 'payments' },
        }),
        route('urgent', { when: { field: 'priority', lte: 1 }, members: ['alice', 'bob', 'carol'] }),
        route('legacy', { members: ['carol'] }),
        route('catch-all', { members: ['alice'] }),
      ],
    },
    members: [
      { id: 'alice', capacity: 3, skills: { payments: 3 } },
      { id: 'bob', capacity: 3 },
      { id: 'carol', capacity: 2 },
    ],
    teams: [{ id: 'payments', members: ['alice', 'bob'] }],
  };
}

function documentB(): RoutingDocument {
  const a = documentA();
  const [requested, payments, urgent, , catchAll] = a.policy.routes as Route[];
  return {
    policy: {
      fallbackQueue: 'inbox',
      routes: [
        route('p1', { when: { field: 'priority', eq: 1 }, teams: ['platform'] }),
        requested as Route,
        {
          ...(urgent as Route),
          strategy: 'round_robin',
          when: { field: 'priority', lte: 2 },
          members: ['alice', 'bob', 'dave'],
          boost: 2,
        },
        payments as Route,
        catchAll as Route,
      ],
    },
    members: [
      { id: 'alice', capacity: 5, skills: { payments: 3, kafka: 2 } },
      { id: 'bob', capacity: 3 },
      { id: 'dave', capacity: 10 },
    ],
    teams: [
      { id: 'payments', members: ['alice', 'bob', 'dave'] },
      { id: 'platform', members: ['dave'] },
    ],
  };
}

describe('policy diff (pure)', () => {
  const diff = diffRouting(documentA(), documentB(), { from: 'pv_a', to: 'pv_b' });

  it('finds added, removed, reordered and changed routes', () => {
    expect(diff.identical).toBe(false);
    expect(diff.routes.added.map((r) => [r.name, r.index])).toEqual([['p1', 0]]);
    expect(diff.routes.removed.map((r) => [r.name, r.index])).toEqual([['legacy', 3]]);
    // urgent and payments swapped places: the fewest moves that explain it is one (payments, #2 → #4).
    expect(diff.routes.reordered).toEqual([{ name: 'payments', from: 1, to: 3 }]);
    expect(diff.routes.changed).toEqual([
      {
        name: 'urgent',
        index: 2,
        changes: [
          { field: 'when', from: { field: 'priority', lte: 1 }, to: { field: 'priority', lte: 2 } },
          { field: 'strategy', from: 'least_loaded', to: 'round_robin' },
          { field: 'members', from: ['alice', 'bob', 'carol'], to: ['alice', 'bob', 'dave'] },
          { field: 'boost', to: 2 },
        ],
      },
    ]);
    expect(diff.fallbackQueue).toEqual({ from: 'triage', to: 'inbox' });
  });

  it('finds members and teams added, removed and changed, nested fields by key', () => {
    expect(diff.members.added.map((m) => m.id)).toEqual(['dave']);
    expect(diff.members.removed.map((m) => m.id)).toEqual(['carol']);
    expect(diff.members.changed).toEqual([
      {
        id: 'alice',
        changes: [
          { field: 'capacity', from: 3, to: 5 },
          { field: 'skills.kafka', to: 2 },
        ],
      },
    ]);
    expect(diff.teams.added.map((t) => t.id)).toEqual(['platform']);
    expect(diff.teams.changed).toEqual([
      { id: 'payments', changes: [{ field: 'members', from: ['alice', 'bob'], to: ['alice', 'bob', 'dave'] }] },
    ]);
  });

  it('a route inserted at the top shifts indexes but reorders nothing', () => {
    const a = documentA();
    const b = documentA();
    b.policy.routes.unshift(route('first', { members: ['bob'] }));
    const d = diffRouting(a, b);
    expect(d.routes.added.map((r) => r.name)).toEqual(['first']);
    expect(d.routes.reordered).toEqual([]);
    expect(d.routes.changed).toEqual([]);
  });

  it('swapping two routes reports one move; an identical document reports nothing', () => {
    const a = documentA();
    const b = documentA();
    const routes = b.policy.routes;
    [routes[0], routes[1]] = [routes[1] as Route, routes[0] as Route];
    expect(diffRouting(a, b).routes.reordered).toHaveLength(1);
    const same = diffRouting(a, documentA());
    expect(same.identical).toBe(true);
    expect(formatDiff(same)).toContain('no changes');
    expect(longestIncreasingRun([3, 0, 1, 2])).toEqual([1, 2, 3]);
  });

  it('renders + / - / ~ lines with route names and old → new values', () => {
    const text = formatDiff(diff);
    expect(text).toContain('policy pv_a → pv_b');
    expect(text).toContain('~ fallbackQueue: triage → inbox');
    expect(text).toContain('+ "p1" at #1: when priority = 1; least_loaded; teams [platform]');
    expect(text).toContain('- "legacy" (was #4)');
    expect(text).toContain('~ "payments" moved #2 → #4');
    expect(text).toContain('~ "urgent" (#3)');
    expect(text).toContain('when: priority ≤ 1 → priority ≤ 2');
    expect(text).toContain('strategy: least_loaded → round_robin');
    expect(text).toContain('boost: (unset) → 2');
    expect(text).toContain('+ dave: capacity 10');
    expect(text).toContain('- carol');
    expect(text).toContain('capacity: 3 → 5');
    expect(text).toContain('skills.kafka: (unset) → 2');
    expect(text).toContain('~ payments: members: [alice, bob] → [alice, bob, dave]');
  });
});

for (const kind of STORES) {
  describe(`policy diff over the API and the CLI (${kind})`, () => {
    let a: string;
    let b: string;
    const { server: t, api } = useTestServer(kind, { worker: false });

    beforeAll(async () => {
      const create = async (document: RoutingDocument) => {
        const res = await api('/policies/versions', { document, message: 'diff test' });
        expect([200, 201]).toContain(res.status);
        return ((await res.json()) as { id: string }).id;
      };
      a = await create(documentA());
      b = await create(documentB());
    });

    it('GET /policies/versions/:a/diff/:b answers the structural diff as JSON', async () => {
      const res = await api(`/policies/versions/${a}/diff/${b}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as ReturnType<typeof diffRouting>;
      expect(body).toEqual(diffRouting(documentA(), documentB(), { from: a, to: b }));
      expect(body.routes.added[0]?.name).toBe('p1');
    });

    it('an unknown version is a 404 problem', async () => {
      const res = await api(`/policies/versions/${a}/diff/pv_0000000000000000`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: 'urn:switchyard:problem:policy-version-not-found' });
    });

    it(
      'switchyard policy diff prints the same diff, as text and as JSON',
      async () => {
        const text = await runCli(['policy', 'diff', a, b, '--db', t.storeUrl, '--tenant', 'acme']);
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toBe(formatDiff(diffRouting(documentA(), documentB(), { from: a, to: b })));
        const json = await runCli(['policy', 'diff', a, b, '--db', t.storeUrl, '--tenant', 'acme', '--json']);
        expect(json.code, json.stderr).toBe(0);
        expect(JSON.parse(json.stdout)).toEqual(diffRouting(documentA(), documentB(), { from: a, to: b }));
        const missing = await runCli([
          'policy',
          'diff',
          a,
          'pv_0000000000000000',
          '--db',
          t.storeUrl,
          '--tenant',
          'acme',
        ]);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toContain('no policy version "pv_0000000000000000"');
      },
      CLI_TIMEOUT,
    );
  });
}
