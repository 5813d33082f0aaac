/**
 * Simulation on both stores, over 300 real signed events routed by a real server:
 * - a candidate that sends every P1 task to another team reports exactly the P1 tasks as
 *   changed, with the right assignments per member before and after, and writes nothing;
 * - a candidate that queues P1 tasks reports them as becoming unassigned;
 * - a decision without a stored task is skipped with its reason;
 * - uploaded fixtures are decided by the active version and the candidate;
 * - the CLI for CI: `simulate --from DB` (same report as the API, --fail-on-change and
 *   --max-changed exit codes) and `simulate --events DIR` on examples/events with a baseline;
 * - bad input: unknown version 404, bad window 400, fixtures of the wrong shape 422.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { RoutingDocument } from '../src/config/tenant.js';
import { type SimulationReport, SKIP_NO_TASK } from '../src/policy/simulate.js';
import { REPO, runCli } from './support/cli.js';
import { postMany } from './support/post-many.js';
import { SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

/** These tests start `switchyard` child processes (a few seconds each when the machine is busy). */
const CLI_TIMEOUT = 240_000;

const CONFIG = {
  tenants: [
    {
      id: 'acme',
      integrations: [{ id: 'tickets', type: 'generic', secrets: [SECRETS.current] }],
      members: ['alice', 'bob', 'carol', 'dave'].map((id) => ({ id, capacity: 100_000 })),
      teams: [
        { id: 'payments', members: ['alice', 'bob'] },
        { id: 'platform', members: ['carol', 'dave'] },
      ],
      policy: {
        fallbackQueue: 'triage',
        routes: [
          {
            name: 'payments',
            when: { field: 'labels', contains: 'payments' },
            strategy: 'round_robin',
            teams: ['payments'],
          },
          { name: 'everything', strategy: 'least_loaded', teams: ['payments'] },
        ],
      },
    },
  ],
};
type TenantDoc = (typeof CONFIG.tenants)[number];
const P1_ROUTE = {
  name: 'p1-platform',
  when: { field: 'priority', eq: 1 },
  strategy: 'least_loaded',
  teams: ['platform'],
};

/** The test tenant's routing document with `routes` in front of its own (and member changes). */
function candidateDocument(
  routes: Record<string, unknown>[],
  memberCapacity: Record<string, number> = {},
): RoutingDocument {
  const t: TenantDoc = structuredClone(CONFIG.tenants[0] as TenantDoc);
  return {
    policy: { ...t.policy, routes: [...routes, ...t.policy.routes] },
    members: t.members.map((m) => ({ ...m, capacity: memberCapacity[m.id] ?? m.capacity })),
    teams: t.teams,
  } as unknown as RoutingDocument;
}

function configWith(document: RoutingDocument): string {
  const t = structuredClone(CONFIG.tenants[0] as TenantDoc);
  return stringify({ tenants: [{ ...t, ...document }] });
}

const EVENTS = 300;

for (const kind of STORES) {
  describe(`simulate (${kind})`, () => {
    let p1: string;
    let queuesP1: string;
    const run = `S${randomUUID().slice(0, 8)}`;
    const dir = join(REPO, '.tmp', `simulate-${run}`);
    const { server: t, api } = useTestServer(kind, { configYaml: stringify(CONFIG) });
    const simulate = async (version: string, body: Record<string, unknown>) => {
      const res = await api(`/policies/versions/${version}/simulate`, body);
      return { status: res.status, body: (await res.json()) as SimulationReport & Record<string, unknown>, res };
    };
    /** Every row simulation could touch: tasks, decisions, outbox, audit, loads and turns, versions. */
    const counts = async () => ({
      ...(await rowCounts(t.store)),
      member_state: await t.store.readSnapshot('acme'),
      audit_head: await t.store.auditHead('acme'),
      policy_versions: (await t.store.db.selectFrom('policy_versions').select('version').execute()).length,
    });
    /** Assignments per member among recorded decisions that have a task, and the P1 decisions. */
    let expected: { before: Map<string, number>; p1: Set<string>; withTask: number };

    beforeAll(async () => {
      mkdirSync(dir, { recursive: true });
      await postMany(
        t.base,
        Array.from({ length: EVENTS }, (_, i) => ({
          externalId: `${run}-${i}`,
          title: `Task ${i}`,
          priority: (i % 5) + 1,
          labels: i % 3 === 0 ? ['payments'] : ['web'],
        })),
      );
      await waitUntilSettled(t.store, 60_000);
      const create = async (document: RoutingDocument) => {
        const res = await api('/policies/versions', { document });
        expect([200, 201], await res.clone().text()).toContain(res.status);
        return ((await res.json()) as { id: string }).id;
      };
      p1 = await create(candidateDocument([P1_ROUTE]));
      queuesP1 = await create(
        candidateDocument([{ ...P1_ROUTE, queueIfNoneEligible: 'p1-backlog' }], { carol: 0, dave: 0 }),
      );
      // One decision recorded "before migration 0008": no task kept with it.
      const rows = await t.store.db
        .selectFrom('decisions')
        .select(['id', 'assignee', 'task'])
        .where('tenant_id', '=', 'acme')
        .where('kind', '=', 'auto')
        .orderBy('id')
        .execute();
      const old = rows.find((r) => JSON.parse(r.task as string).priority !== 1) as { id: string };
      await t.store.db.updateTable('decisions').set({ task: null }).where('id', '=', old.id).execute();
      const kept = rows.filter((r) => r.id !== old.id);
      const before = new Map<string, number>();
      for (const r of kept) if (r.assignee) before.set(r.assignee, (before.get(r.assignee) ?? 0) + 1);
      const p1Ids = kept.filter((r) => JSON.parse(r.task as string).priority === 1).map((r) => r.id);
      expected = { before, p1: new Set(p1Ids), withTask: kept.length };
    }, 180_000);
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('moving P1 tasks to another team changes exactly the P1 tasks, with loads before and after, and writes nothing', async () => {
      const before = await counts();
      const { status, body } = await simulate(p1, {});
      expect(status).toBe(200);
      expect(await counts()).toEqual(before);

      expect(body.mode).toBe('recorded');
      expect(body.candidate).toBe(p1);
      expect(body.totals).toMatchObject({
        events: expected.withTask,
        changed: expected.p1.size,
        routeChanged: expected.p1.size,
        becameUnassigned: 0,
        skipped: 1,
        truncated: false,
      });
      expect(body.totals.changedPercent).toBe(Math.round((expected.p1.size / expected.withTask) * 10_000) / 100);
      expect(body.skipped).toEqual([{ reason: SKIP_NO_TASK, count: 1 }]);
      expect(new Set(body.events.filter((e) => e.changed).map((e) => e.decisionId))).toEqual(expected.p1);

      const changed = body.events.find((e) => e.changed);
      expect(changed?.before?.route).toMatch(/^(payments|everything)$/);
      expect(changed?.after).toMatchObject({ route: 'p1-platform', strategy: 'least_loaded', policyVersion: p1 });
      expect(changed?.why?.summary).toContain('route "p1-platform" decides now instead of');
      expect(changed?.why?.candidates.map((c) => c.memberId)).toEqual([
        changed?.before?.assignee,
        changed?.after.assignee,
      ]);

      // Each event keeps the loads it saw: carol and dave are both at 0 every time, so least_loaded
      // gives carol (declared first) every P1 task — earlier moves do not raise later loads.
      const load = Object.fromEntries(body.load.map((l) => [l.memberId, l]));
      const p1ByMember = new Map<string, number>();
      for (const e of body.events.filter((x) => x.changed)) {
        const who = e.before?.assignee as string;
        p1ByMember.set(who, (p1ByMember.get(who) ?? 0) + 1);
      }
      for (const m of ['alice', 'bob']) {
        expect(load[m]).toEqual({
          memberId: m,
          before: expected.before.get(m) ?? 0,
          after: (expected.before.get(m) ?? 0) - (p1ByMember.get(m) ?? 0),
          delta: -(p1ByMember.get(m) ?? 0),
        });
      }
      expect(load.carol).toEqual({ memberId: 'carol', before: 0, after: expected.p1.size, delta: expected.p1.size });
      expect(load.dave).toBeUndefined();
    });

    it('the active version itself changes nothing', async () => {
      const { status, body } = await simulate('active', {});
      expect(status).toBe(200);
      expect(body.totals).toMatchObject({ events: expected.withTask, changed: 0, routeChanged: 0, skipped: 1 });
      expect(body.load.every((l) => l.delta === 0)).toBe(true);
    });

    it('changedOnly lists only the changed events; a limit truncates', async () => {
      const { body } = await simulate(p1, { changedOnly: true });
      expect(body.events.every((e) => e.changed)).toBe(true);
      expect(body.events).toHaveLength(expected.p1.size);
      const limited = await simulate(p1, { limit: 10 });
      expect(limited.body.totals.events + limited.body.totals.skipped).toBe(10);
      expect(limited.body.totals.truncated).toBe(true);
    });

    it('a window narrows the decisions compared', async () => {
      const rows = await t.store.db
        .selectFrom('decisions')
        .select('created_at')
        .where('tenant_id', '=', 'acme')
        .orderBy('created_at')
        .execute();
      const mid = rows[Math.floor(rows.length / 2)]?.created_at as string;
      const later = rows.filter((r) => r.created_at >= mid).length;
      const { status, body } = await simulate(p1, { from: mid });
      expect(status).toBe(200);
      expect(body.totals.events + body.totals.skipped).toBe(later);
      expect(body.window).toEqual({ from: mid, to: null });
      const none = await simulate(p1, { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' });
      expect(none.body.totals.events).toBe(0);
    });

    it('queueing P1 tasks makes them unassigned', async () => {
      const { body } = await simulate(queuesP1, { changedOnly: true });
      expect(body.totals.becameUnassigned).toBe(expected.p1.size);
      expect(new Set(body.unassigned.map((u) => u.decisionId))).toEqual(expected.p1);
      expect(body.unassigned[0]?.queueAfter).toBe('p1-backlog');
      const e = body.events[0];
      expect(e?.after).toMatchObject({ outcome: 'queued', queue: 'p1-backlog', route: 'p1-platform' });
      expect(e?.why?.candidates.find((c) => c.memberId === e.before?.assignee)?.after).toBeNull();
    });

    it('decides uploaded fixtures with the active version and the candidate', async () => {
      const before = await counts();
      const { status, body } = await simulate(p1, {
        fixtures: [
          { task: { externalId: 'F-1', title: 'p1', priority: 1 } },
          { task: { externalId: 'F-2', title: 'p3', priority: 3, labels: ['web'] }, snapshot: { load: { alice: 7 } } },
          {
            task: { externalId: 'F-3', title: 'p1', priority: 1 },
            snapshot: { load: { carol: 3 } },
            now: '2026-01-05T10:00:00Z',
          },
        ],
      });
      expect(status).toBe(200);
      expect(body.mode).toBe('fixtures');
      const active = (await (await api('/policies/versions/active')).json()) as { id: string };
      expect(body.baseline).toBe(active.id);
      const [f1, f2, f3] = body.events;
      expect(f1).toMatchObject({ fixture: 0, externalId: 'F-1', changed: true, after: { assignee: 'carol' } });
      expect(f2).toMatchObject({ fixture: 1, changed: false, before: { assignee: 'bob' }, after: { assignee: 'bob' } });
      expect(f3).toMatchObject({ fixture: 2, at: '2026-01-05T10:00:00.000Z', after: { assignee: 'dave' } });
      expect(body.totals).toMatchObject({ events: 3, changed: 2 });
      expect(await counts()).toEqual(before);
    });

    it('bad input: unknown version 404, bad window 400, fixtures of the wrong shape 422', async () => {
      const problem = async (
        res: { status: number; res: Response; body: Record<string, unknown> },
        status: number,
        type: string,
      ) => {
        expect(res.status).toBe(status);
        expect(res.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status });
        expect(String(res.body.detail).length).toBeGreaterThan(10);
      };
      await problem(await simulate('pv_0123456789abcdef', {}), 404, 'policy-version-not-found');
      await problem(await simulate('999', {}), 404, 'policy-version-not-found');
      await problem(
        await simulate(p1, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
        400,
        'invalid-window',
      );
      await problem(await simulate(p1, { from: 'yesterday' }), 400, 'validation-failed');
      await problem(await simulate(p1, { to: '2026-13-01T00:00:00Z' }), 400, 'validation-failed');
      await problem(await simulate(p1, { limit: 100_001 }), 400, 'validation-failed');
      await problem(await simulate(p1, { fixtures: 'not a list' }), 422, 'invalid-fixtures');
      await problem(await simulate(p1, { fixtures: [] }), 422, 'invalid-fixtures');
      await problem(await simulate(p1, { fixtures: [{ title: 'no task' }] }), 422, 'invalid-fixtures');
      const missing = await simulate(p1, { fixtures: [{ task: { externalId: 'F' } }, { task: { title: 'x' } }] });
      await problem(missing, 422, 'invalid-fixtures');
      expect(missing.body.detail).toContain('fixtures[0]');
      await problem(
        await simulate(p1, {
          fixtures: [{ task: { externalId: 'F', title: 'x' }, snapshot: { load: { alice: 'many' } } }],
        }),
        422,
        'invalid-fixtures',
      );
    });

    it(
      'switchyard simulate --from DB: the API’s report, and the CI gates',
      async () => {
        const file = join(dir, 'candidate.yaml');
        writeFileSync(file, configWith(candidateDocument([P1_ROUTE])));
        const cli = await runCli(['simulate', '--config', file, '--from', t.storeUrl, '--json']);
        expect(cli.code, cli.stderr).toBe(0);
        const report = JSON.parse(cli.stdout) as SimulationReport;
        const api = (await simulate(p1, {})).body;
        expect(report.candidate).toBe(p1);
        expect(report.totals).toEqual(api.totals);
        expect(report.load).toEqual(api.load);

        // Text for a CI log, and the gates' exit codes.
        const gate = await runCli(['simulate', '--config', file, '--from', t.storeUrl, '--fail-on-change']);
        expect(gate.code).toBe(1);
        expect(gate.stderr).toContain(`${api.totals.changed} decision(s) would change`);
        expect(gate.stdout).toContain(
          `${api.totals.events} events, ${api.totals.changed} changed (${api.totals.changedPercent}%)`,
        );
        expect(gate.stdout).toMatch(/carol\s+0 → \d+\s+\(\+\d+\)/);
        const under = await runCli(['simulate', '--config', file, '--from', t.storeUrl, '--max-changed', '50']);
        expect(under.code, under.stderr).toBe(0);
        const over = await runCli(['simulate', '--config', file, '--from', t.storeUrl, '--max-changed', '5']);
        expect(over.code).toBe(1);
        expect(over.stderr).toContain('over --max-changed 5%');
      },
      CLI_TIMEOUT,
    );
  });
}

describe('switchyard simulate --events (no database)', () => {
  const dir = join(REPO, '.tmp', `simulate-events-${randomUUID().slice(0, 8)}`);
  const NOW = '2026-11-26T10:00:00Z';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'decides examples/events with the demo config, and compares with a baseline',
    async () => {
      mkdirSync(dir, { recursive: true });
      const first = await runCli([
        'simulate',
        '--config',
        'examples/demo.yaml',
        '--events',
        'examples/events',
        '--now',
        NOW,
        '--json',
      ]);
      expect(first.code, first.stderr).toBe(0);
      const report = JSON.parse(first.stdout) as SimulationReport;
      expect(report.mode).toBe('events');
      const byId = Object.fromEntries(report.events.map((e) => [e.externalId, e]));
      expect(Object.keys(byId).sort()).toEqual(['SUP-1042', 'SUP-1043', 'SUP-1044', 'SUP-1045', 'SUP-1046']);
      expect(byId['SUP-1042']).toMatchObject({ file: 'checkout-outage.json', before: null, changed: false });
      expect(byId['SUP-1042']?.after).toMatchObject({ assignee: 'alice', route: 'payments-urgent' });
      expect(byId['SUP-1044']?.after).toMatchObject({ assignee: 'erin', route: 'enterprise' });
      expect(byId['SUP-1045']?.after).toMatchObject({ assignee: 'dave', route: 'requested' });
      expect(byId['SUP-1046']?.after).toMatchObject({ outcome: 'queued', queue: 'triage', route: null });
      expect(report.skipped).toHaveLength(1);
      expect(report.skipped[0]?.reason).toMatch(/^not-a-task\.json: not a valid Task/);
      const baseline = join(dir, 'baseline.json');
      writeFileSync(baseline, first.stdout);

      // The same config with the enterprise route pointing at carol instead of erin.
      const demo = parse((await import('node:fs')).readFileSync(join(REPO, 'examples/demo.yaml'), 'utf8'));
      const enterprise = demo.tenants[0].policy.routes.find((r: { name: string }) => r.name === 'enterprise');
      enterprise.assignee = 'carol';
      const changedConfig = join(dir, 'demo-changed.yaml');
      writeFileSync(changedConfig, stringify(demo));
      const args = [
        'simulate',
        '--config',
        changedConfig,
        '--events',
        'examples/events',
        '--now',
        NOW,
        '--baseline',
        baseline,
      ];
      const gate = await runCli([...args, '--fail-on-change']);
      expect(gate.code).toBe(1);
      expect(gate.stdout).toContain('5 events, 1 changed (20%)');
      expect(gate.stdout).toContain('~ SUP-1044 (enterprise-question.json): erin [enterprise] → carol [enterprise]');
      const json = await runCli([...args, '--json', '--max-changed', '25']);
      expect(json.code, json.stderr).toBe(0);
      const compared = JSON.parse(json.stdout) as SimulationReport;
      expect(compared.events.filter((e) => e.changed).map((e) => e.externalId)).toEqual(['SUP-1044']);
      expect(compared.load.find((l) => l.memberId === 'erin')).toEqual({
        memberId: 'erin',
        before: 1,
        after: 0,
        delta: -1,
      });
    },
    CLI_TIMEOUT,
  );
});
