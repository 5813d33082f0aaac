/**
 * How big the stored snapshots are. Diagnostic only, not part of `npm run bench`:
 *
 *   npx tsx bench/snapshot-size.ts [CONFIG] [--events N] [--teams T]
 *
 * Serves CONFIG (default examples/routing.yaml; `--teams T` generates a tenant with T teams of 4,
 * every team with business hours and a two-layer rotation, 5 routes over 4 of the teams) in
 * process on a fresh SQLite file, posts N (default 300) signed, varied tasks to the first
 * tenant's first integration, waits until every one is decided, and prints the average and
 * largest stored snapshot — `avg(length(snapshot))` over `decisions` — next to what the same
 * snapshots would weigh with the full schedule state (every team's clock, hours and rotation,
 * every member's working hours), i.e. before compaction (src/core/snapshot-reads.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import type { Snapshot } from '../src/core/index.js';
import { computeScheduleState } from '../src/core/schedule-state.js';
import { SCHEDULE_KEYS } from '../src/policy/recorded-input.js';
import { buildServer } from '../src/server.js';
import { openStore } from '../src/store/open-store.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args.splice(i, 2)[1];
};
const events = Number(flag('--events') ?? 300);
const teams = flag('--teams');
const SECRET = `whsec_${Buffer.from('snapshot-size-bench-secret').toString('base64')}`;

function generated(n: number): string {
  const ids = Array.from({ length: n }, (_, i) => `team${i}`);
  const zones = ['Europe/Berlin', 'America/Chicago', 'Asia/Singapore'];
  const members = ids.flatMap((_, i) =>
    [0, 1, 2, 3].map((j) => ({
      id: `m${i}x${j}`,
      capacity: 1000,
      timezone: zones[(i + j) % 3],
      workingHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
    })),
  );
  const team = (id: string, i: number) => {
    const ms = [0, 1, 2, 3].map((j) => `m${i}x${j}`);
    return {
      id,
      members: ms,
      timezone: zones[i % 3],
      businessHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' },
      onCall: {
        layers: [
          { name: 'primary', members: ms, every: 1, unit: 'weeks', handoff: '2026-11-02T09:00' },
          { name: 'secondary', members: [...ms].reverse(), every: 1, unit: 'weeks', handoff: '2026-11-02T09:00' },
        ],
      },
    };
  };
  const routes = [
    { name: 'incidents', when: { field: 'type', eq: 'incident' }, strategy: 'on_call', teams: ['team0'] },
    {
      name: 'pay',
      when: { field: 'labels', contains: 'payments' },
      strategy: 'least_loaded',
      teams: ['team1'],
      during: 'business_hours',
    },
    { name: 'infra', when: { field: 'labels', contains: 'infra' }, strategy: 'round_robin', teams: ['team2'] },
    { name: 'db', when: { field: 'component', eq: 'database' }, strategy: 'round_robin', teams: ['team3', 'team2'] },
    { name: 'rest', strategy: 'round_robin', teams: ['team1', 'team2', 'team3'] },
  ];
  return stringify({
    tenants: [
      {
        id: 'big',
        integrations: [{ id: 'events', type: 'generic', secrets: [SECRET] }],
        members,
        teams: ids.map(team),
        policy: { fallbackQueue: 'triage', routes },
      },
    ],
  });
}

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const configPath = args[0] ?? 'examples/routing.yaml';
const config = parseConfig(teams ? generated(Number(teams)) : readFileSync(configPath, 'utf8'), configPath);
const tenant = [...config.tenants.values()][0];
const integration = tenant && [...tenant.integrations.values()][0];
if (!tenant || !integration) throw new Error('the config needs a tenant with an integration');
if (integration.type !== 'generic' || integration.transform)
  throw new Error('the first integration must be generic, without a transform');

mkdirSync(join(repo, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(repo, '.tmp', 'snapshot-size-'));
const store = await openStore(`sqlite:${join(dir, 'db.sqlite')}`);
const server = await buildServer({ config, store, logger: pino({ level: 'silent' }), workerOptions: { pollMs: 20 } });
try {
  const base = await server.app.listen({ port: 0, host: '127.0.0.1' });
  const key = integration.secrets[0]?.key as Buffer;
  const kinds = ['incident', 'bug', 'question', 'task'];
  const labels = [['payments'], ['infra'], ['sso'], ['website']];
  const components = ['database', 'api', 'checkout', 'queue'];
  for (let i = 0; i < events; i++) {
    const body = JSON.stringify({
      externalId: `S-${i}`,
      title: 'snapshot size',
      type: kinds[i % 4],
      priority: (i % 5) + 1,
      labels: labels[i % 4],
      component: components[i % 4],
      ...(i % 7 === 0 && i > 0 ? { relatedTo: [`S-${i - 1}`] } : {}),
    });
    const id = `msg_${i}_${Date.now()}`;
    const res = await fetch(`${base}/hooks/${tenant.id}/${integration.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': new Webhook(key, { format: 'raw' }).sign(id, new Date(), body),
      },
      body,
    });
    if (res.status !== 202) throw new Error(`event ${i}: ${res.status} ${await res.text()}`);
  }
  for (;;) {
    const open = await store.db
      .selectFrom('events')
      .select('id')
      .where('status', 'in', ['pending', 'processing'])
      .execute();
    if (open.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const rows = await store.db
    .selectFrom('decisions')
    .select(['snapshot', 'created_at'])
    .where('kind', '=', 'auto')
    .execute();
  const stored = rows.map((r) => Buffer.byteLength(r.snapshot));
  const full = rows.map((r) => {
    const snapshot = JSON.parse(r.snapshot) as Record<string, unknown>;
    for (const k of SCHEDULE_KEYS) delete snapshot[k];
    const at = new Date(Math.floor(Date.parse(r.created_at) / 1000) * 1000);
    return Buffer.byteLength(
      JSON.stringify({ ...(snapshot as unknown as Snapshot), ...computeScheduleState(tenant, at) }),
    );
  });
  const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  process.stdout.write(
    `${JSON.stringify(
      {
        config: teams ? `generated: ${teams} teams × 4 members` : configPath,
        decisions: rows.length,
        storedAvgBytes: avg(stored),
        storedMaxBytes: Math.max(...stored),
        fullScheduleAvgBytes: avg(full),
        query: "select count(*), avg(length(snapshot)) from decisions where kind = 'auto'",
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
