/**
 * replay --verify on both stores: 1,000 real signed events through a real server, routed by a
 * policy that uses every strategy, business hours, an on-call rotation and a clock condition,
 * then every recorded decision decided again from what it recorded. Pins:
 * - 100 % reproduced, through the function and through `switchyard replay --verify` (exit 0);
 * - negative control 1: a decide() whose strategies pick differently is reported, field by field;
 * - negative control 2: one decision's snapshot edited in the database is reported as a
 *   mismatch naming that decision (input hash), by the function and by the CLI (exit 1);
 * - a decision without a stored task (recorded before migration 0008) is skipped, with the reason.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../src/core/index.js';
import { INPUT_EDITED, replayVerify } from '../src/policy/replay.js';
import { SKIP_NO_TASK } from '../src/policy/simulate.js';
import { runCli } from './support/cli.js';
import { postMany } from './support/post-many.js';
import { SECRETS } from './support/secrets.js';
import { useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

/** These tests start `switchyard` child processes (a few seconds each when the machine is busy). */
const CLI_TIMEOUT = 240_000;

const REPLAY_CONFIG = `
tenants:
  - id: acme
    integrations:
      - id: tickets
        type: generic
        secrets: [${SECRETS.current}]
    members:
      - { id: alice, capacity: 100000, skills: { payments: 4, kafka: 1 } }
      - { id: bob, capacity: 100000, skills: { payments: 2, kafka: 3 } }
      - { id: carol, capacity: 100000, capacityByType: { incident: 100000 }, skills: [kafka] }
      - { id: dave, capacity: 100000, timezone: Europe/Berlin }
      - { id: erin, capacity: 100000 }
    teams:
      - id: payments
        members: [alice, bob]
        timezone: Europe/Paris
        businessHours: { days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00" }
      - id: platform
        members: [carol, dave]
        timezone: America/New_York
        onCall:
          layers:
            - { name: primary, members: [carol, dave], every: 1, unit: hours, handoff: "2026-01-05T09:00" }
        escalation: erin
      - { id: support, members: [erin], timezone: Asia/Tokyo }
    policy:
      fallbackQueue: triage
      routes:
        - name: requested
          when: { field: requestedAssignee, matches: ".+" }
          strategy: direct
        - name: incidents
          when: { field: type, eq: incident }
          strategy: on_call
          teams: [platform]
        - name: follow-ups
          when: { field: relatedTo, matches: ".+" }
          strategy: sticky
        - name: kafka
          when: { field: labels, contains: kafka }
          strategy: skills
          teams: [payments, platform]
          skills: { required: [kafka], preferred: [payments] }
        - name: payments
          when: { field: labels, contains: payments }
          strategy: round_robin
          teams: [payments]
          during: business_hours
        - name: urgent
          when: { field: priority, lte: 2 }
          strategy: least_loaded
          teams: [payments, platform]
          boost: 1
        - name: anytime
          when: { not: { clock: { team: support, weekdays: [mon] } } }
          strategy: round_robin
          members: [erin, dave]
`;

const EVENTS = 1_000;
const LABELS = [['payments'], ['kafka'], ['sso'], ['payments', 'kafka'], []];
const TYPES = ['bug', 'incident', 'question', 'task'];

/** Event i: a varied task; some name an assignee, some a related earlier task. */
function taskFor(run: string, i: number): Record<string, unknown> {
  return {
    externalId: `${run}-${i}`,
    title: `Task ${i}`,
    type: TYPES[i % TYPES.length],
    priority: (Math.floor(i / 5) % 5) + 1,
    labels: LABELS[i % LABELS.length],
    ...(i % 37 === 0 ? { requestedAssignee: ['alice', 'dave', 'nobody'][i % 3] } : {}),
    ...(i % 11 === 0 && i > 0 ? { relatedTo: [`${run}-${i - 1}`] } : {}),
  };
}

for (const kind of STORES) {
  describe(`replay --verify (${kind})`, () => {
    const run = `R${randomUUID().slice(0, 8)}`;

    const { server: t } = useTestServer(kind, { configYaml: REPLAY_CONFIG });
    beforeAll(async () => {
      await postMany(
        t.base,
        Array.from({ length: EVENTS }, (_, i) => taskFor(run, i)),
      );
      await waitUntilSettled(t.store, 120_000);
    }, 240_000);

    it('reproduces every one of 1,000 recorded decisions (function)', async () => {
      const report = await replayVerify(t.store, { tenantId: 'acme', pageSize: 128 });
      expect(report.mismatches).toEqual([]);
      expect(report.checked).toBeGreaterThanOrEqual(EVENTS);
      expect(report.reproduced).toBe(report.checked);
      expect(report.skipped).toEqual([]);
      // The policy's strategies all took part.
      const strategies = await t.store.db
        .selectFrom('decisions')
        .select('strategy')
        .distinct()
        .where('tenant_id', '=', 'acme')
        .execute();
      const used = new Set(strategies.map((s) => s.strategy));
      for (const s of ['direct', 'on_call', 'sticky', 'skills', 'round_robin', 'least_loaded'])
        expect(used).toContain(s);
    });

    it(
      'reproduces every one through `switchyard replay --verify` (exit 0)',
      async () => {
        const cli = await runCli(['replay', '--verify', '--db', t.storeUrl, '--tenant', 'acme']);
        expect(cli.code, cli.stderr).toBe(0);
        expect(cli.stdout).toMatch(/^ok\s+acme: checked (\d+), reproduced \1, mismatched 0, skipped 0/);
      },
      CLI_TIMEOUT,
    );

    it('reports a decide() that picks differently, naming each decision and field (negative control)', async () => {
      // A strategy table where every route picks its LAST eligible candidate instead.
      const picksLast: typeof decide = (task, snapshot, compiled, now, answers) => {
        const d = decide(task, snapshot, compiled, now, answers);
        const eligible = d.candidates.filter((c) => c.score !== undefined);
        const last = eligible.at(-1)?.memberId;
        return d.outcome === 'assigned' && last && last !== d.assignee ? { ...d, assignee: last } : d;
      };
      const report = await replayVerify(t.store, { tenantId: 'acme', decideImpl: picksLast });
      expect(report.mismatched).toBeGreaterThan(50);
      expect(report.reproduced + report.mismatched).toBe(report.checked);
      for (const m of report.mismatches) {
        expect(m.fields.map((f) => f.field)).toEqual(['assignee']);
        const row = await t.store.db
          .selectFrom('decisions')
          .select(['assignee', 'event_id'])
          .where('id', '=', m.decisionId)
          .executeTakeFirstOrThrow();
        expect(m.fields[0]?.recorded).toBe(row.assignee);
        expect(m.eventId).toBe(row.event_id);
      }
    });

    it(
      'reports a snapshot edited in the database as a mismatch of that decision (function and CLI, exit 1)',
      async () => {
        const victim = await t.store.db
          .selectFrom('decisions')
          .select(['id', 'snapshot', 'event_id'])
          .where('tenant_id', '=', 'acme')
          .where('strategy', '=', 'least_loaded')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
        const snapshot = JSON.parse(victim.snapshot) as { load: Record<string, number> };
        snapshot.load.alice = (snapshot.load.alice ?? 0) + 1_000;
        await t.store.db
          .updateTable('decisions')
          .set({ snapshot: JSON.stringify(snapshot) })
          .where('id', '=', victim.id)
          .execute();

        const report = await replayVerify(t.store, { tenantId: 'acme' });
        expect(report.mismatches.map((m) => m.decisionId)).toEqual([victim.id]);
        const fields = report.mismatches[0]?.fields.map((f) => f.field);
        expect(fields?.[0]).toBe('inputHash');
        // alice's load is now far higher: least_loaded scores her differently.
        expect(fields).toContain('candidates');

        const cli = await runCli(['replay', '--verify', '--db', t.storeUrl, '--tenant', 'acme']);
        expect(cli.code).toBe(1);
        expect(cli.stdout).toMatch(/^FAIL\s+acme: checked \d+, reproduced \d+, mismatched 1,/);
        expect(cli.stdout).toContain(`mismatch: decision ${victim.id} (event ${victim.event_id}`);
        expect(cli.stdout).toContain(INPUT_EDITED);
      },
      CLI_TIMEOUT,
    );

    it('skips a decision without a stored task, with the reason', async () => {
      const row = await t.store.db
        .selectFrom('decisions')
        .select('id')
        .where('tenant_id', '=', 'acme')
        .orderBy('id')
        .limit(1)
        .executeTakeFirstOrThrow();
      await t.store.db.updateTable('decisions').set({ task: null }).where('id', '=', row.id).execute();
      const report = await replayVerify(t.store, { tenantId: 'acme', limit: 10 });
      expect(report.skipped).toEqual([{ reason: SKIP_NO_TASK, count: 1 }]);
      expect(report.checked).toBe(9);
      expect(report.truncated).toBe(true);
    });
  });
}
