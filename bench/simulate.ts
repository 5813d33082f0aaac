/**
 * Simulation over recorded decisions: 10,000 decisions are recorded into a fresh SQLite file,
 * then simulateRecorded() reads them back in pages and decides each again with a changed policy.
 *
 * Recording: the generated 20-route, 200-member policy of decide-bench.ts, 10,000 generated
 * tasks decided in order by the real decide() on an evolving store state (loads rise with each
 * assignment and fall as work closes, round-robin turns advance, 50 decisions per second so the
 * schedule state moves through 200 seconds), with the compact snapshots and input hashes the
 * pipeline would store; rows are inserted straight into `decisions` (the read path is what is
 * measured, and it reads only that table and policy_versions).
 *
 * Timed: the whole simulateRecorded() call (keyset pages of 500, JSON parsing of task, snapshot
 * and detail, decide, comparison, report) for two candidates:
 *   routesChanged  routes reordered and re-targeted, roster unchanged: the recorded schedule
 *                  state is reused (the common case: a policy change);
 *   rosterChanged  also a member's working hours changed: the candidate's schedule state is
 *                  computed from its roster for each second the decisions span.
 * Run alone: `npx tsx bench/simulate.ts` (prints the JSON); `npm run bench` includes it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import { buildRouting, type RoutingDocument } from '../src/config/tenant.js';
import { decide, type Snapshot } from '../src/core/index.js';
import { computeScheduleState } from '../src/core/schedule-state.js';
import { scheduleReads } from '../src/core/snapshot-reads.js';
import { inputHash } from '../src/crypto/input-hash.js';
import { simulateRecorded } from '../src/policy/simulate.js';
import { newId } from '../src/store/ids.js';
import { openStore } from '../src/store/open-store.js';
import { generatePolicyYaml, generateTasks } from './decide-bench.js';
import { round } from './throughput.js';

export const SIMULATE_EVENTS = 10_000;
const T0 = Date.parse('2026-11-26T08:00:00Z');
/** 50 decisions per second of recorded time. */
const STEP_MS = 20;

export interface SimulateRun {
  ms: number;
  eventsPerSecond: number;
  changed: number;
  changedPercent: number;
}

export interface SimulateBenchResult extends SimulateRun {
  events: number;
  recordMs: number;
  avgSnapshotBytes: number;
  rosterChanged: SimulateRun;
}

export async function runSimulateBench(dir: string, log: (msg: string) => void): Promise<SimulateBenchResult> {
  const config = parseConfig(generatePolicyYaml(), 'bench:generated-policy');
  const tenant = config.tenants.get('bench');
  if (!tenant) throw new Error('generated policy has no tenant');
  const store = await openStore(`sqlite:${join(dir, 'simulate.db')}`);
  try {
    log(`simulate: recording ${SIMULATE_EVENTS} decisions`);
    const recordStart = performance.now();
    await store.insertPolicyVersion({
      tenantId: tenant.id,
      id: tenant.policy.version,
      document: tenant.policyDocument,
      author: 'bench',
      message: null,
      review: 'not_required',
      now: new Date(T0).toISOString(),
    });
    const tasks = generateTasks(SIMULATE_EVENTS);
    const reads = scheduleReads(tenant.compiled);
    const load: Record<string, number> = {};
    const turns: Record<string, Record<string, number>> = {};
    const counters: Record<string, number> = {};
    let schedule = { second: -1, state: {} as Partial<Snapshot> };
    let snapshotBytes = 0;
    let rows: Record<string, unknown>[] = [];
    const flush = async () => {
      if (rows.length === 0) return;
      const batch = rows;
      rows = [];
      await store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('decisions')
          .values(batch as never)
          .execute();
      });
    };
    for (const [i, task] of tasks.entries()) {
      const now = new Date(T0 + i * STEP_MS);
      const second = Math.floor(now.getTime() / 1000);
      if (schedule.second !== second) {
        schedule = { second, state: computeScheduleState(tenant, new Date(second * 1000), reads) };
      }
      const snapshot: Snapshot = {
        load: { ...load },
        away: {},
        ...(Object.keys(turns).length ? { turns: structuredClone(turns) } : {}),
        ...schedule.state,
      };
      const decision = decide(task, snapshot, tenant.compiled, now);
      if (decision.assignee) {
        load[decision.assignee] = (load[decision.assignee] ?? 0) + 1;
        if (decision.strategy === 'round_robin' && decision.route) {
          const turn = (counters[decision.route] ?? 0) + 1;
          counters[decision.route] = turn;
          turns[decision.route] = { ...turns[decision.route], [decision.assignee]: turn };
        }
      }
      // Work closes too: every tenth decision, every other member with open tasks finishes one.
      if (i % 10 === 9) {
        for (const [m, n] of Object.entries(load)) if (n > 0 && (i + m.length) % 2 === 0) load[m] = n - 1;
      }
      const snapshotJson = JSON.stringify(snapshot);
      snapshotBytes += snapshotJson.length;
      rows.push({
        tenant_id: tenant.id,
        id: newId(),
        task_id: newId(),
        event_id: newId(),
        kind: 'auto',
        outcome: decision.outcome,
        assignee: decision.assignee,
        queue: decision.queue,
        route: decision.route,
        strategy: decision.strategy,
        policy_version: decision.policyVersion,
        input_hash: inputHash(task, snapshot, decision.policyVersion, now),
        explanation: decision.explanation,
        detail: JSON.stringify({ candidates: decision.candidates, routesTried: decision.routesTried }),
        snapshot: snapshotJson,
        task: JSON.stringify(task),
        supersedes_id: null,
        reason: null,
        actor: null,
        created_at: now.toISOString(),
      });
      if (rows.length === 1_000) await flush();
    }
    await flush();
    const recordMs = performance.now() - recordStart;

    const document = tenant.policyDocument as RoutingDocument;
    const routesChanged = changedPolicy(document, false);
    const rosterChanged = changedPolicy(document, true);
    const time = async (name: string, candidate: ReturnType<typeof buildRouting>): Promise<SimulateRun> => {
      log(`simulate: ${name}`);
      const start = performance.now();
      const report = await simulateRecorded(store, { tenantId: tenant.id, candidate, limit: SIMULATE_EVENTS });
      const ms = performance.now() - start;
      if (report.totals.events !== SIMULATE_EVENTS) throw new Error(`simulated ${report.totals.events} events`);
      return {
        ms: round(ms),
        eventsPerSecond: round(SIMULATE_EVENTS / (ms / 1000)),
        changed: report.totals.changed,
        changedPercent: report.totals.changedPercent,
      };
    };
    await time('warm-up', routesChanged);
    const main = await time('routes changed', routesChanged);
    const roster = await time('roster changed', rosterChanged);
    return {
      events: SIMULATE_EVENTS,
      ...main,
      recordMs: round(recordMs),
      avgSnapshotBytes: Math.round(snapshotBytes / SIMULATE_EVENTS),
      rosterChanged: roster,
    };
  } finally {
    await store.close();
  }
}

/** The P1 route first and aimed at other teams, security to another team; optionally a roster change too. */
function changedPolicy(document: RoutingDocument, roster: boolean): ReturnType<typeof buildRouting> {
  const changed = structuredClone(document);
  const routes = changed.policy.routes;
  const p1 = routes.findIndex((r) => r.name === 'p1-any');
  const [route] = routes.splice(p1, 1);
  if (!route) throw new Error('generated policy has no p1-any route');
  routes.unshift({ ...route, teams: ['team-7', 'team-8'] });
  const security = routes.find((r) => r.name === 'security');
  if (security) security.members = ['m011', 'm051'];
  if (roster) {
    const m = changed.members.find((x) => x.id === 'm001');
    if (m) m.workingHours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', end: '15:00' };
  }
  return buildRouting(changed);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  mkdirSync(join(repo, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(repo, '.tmp', 'bench-simulate-'));
  try {
    const result = await runSimulateBench(dir, (msg) => process.stderr.write(`[bench] ${msg}\n`));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
