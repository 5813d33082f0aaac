/**
 * switchyard policy diff | simulate | replay --verify. All three only read: the databases they
 * are pointed at are opened without running migrations, so a CI job may read a production
 * replica. Exit codes (src/cli/exit.ts): 0 fine; 1 a gate failed (simulate --fail-on-change /
 * --max-changed, replay mismatches); 2 a usage, config or input error (a database that does not
 * exist among them); 3 an unexpected error.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import type { Integration, Tenant } from '../config/model.js';
import type { RoutingDocument } from '../config/tenant.js';
import type { Snapshot } from '../core/index.js';
import { createFunctionHost, type FunctionHost } from '../functions/function-host.js';
import { FunctionRegistry } from '../functions/registry.js';
import { normalize } from '../pipeline/normalize.js';
import { validateTaskShape } from '../pipeline/task-shape.js';
import { diffRouting } from '../policy/diff.js';
import { formatDiff } from '../policy/diff-format.js';
import { formatReplay, type ReplayReport, replayVerify } from '../policy/replay.js';
import {
  type Fixture,
  type SimulationReport,
  simulateFixtures,
  simulateRecorded,
  withBaseline,
} from '../policy/simulate.js';
import { parseInstant, parseWindow, WindowError } from '../policy/simulate-input.js';
import { findPolicyVersion } from '../policy/versions.js';
import type { PolicyStore } from '../store/policy-store.js';
import type { RecordedDecisionStore } from '../store/recorded-decision-store.js';
import { EXIT, fail } from './exit.js';
import { openExistingStore } from './store-session.js';

/**
 * Read-only: never migrate (nor create) a database we were only asked to read. The store, and a
 * host that runs its tenants' sandboxed functions in this process (never remote ones).
 */
async function withReadStore<T>(
  db: string,
  fn: (store: PolicyStore & RecordedDecisionStore, functions: FunctionHost) => Promise<T>,
): Promise<T> {
  const store = await openExistingStore(db, { migrate: false });
  const functions = createFunctionHost(new FunctionRegistry(store));
  try {
    return await fn(store, functions);
  } finally {
    await functions.close();
    await store.close();
  }
}

/**
 * Secrets are not needed to simulate: an unset `${env:NAME}` becomes a placeholder (valid as a
 * whsec_ secret and as a token), so CI can load the production config without its secrets.
 */
const PLACEHOLDER_SECRET = `whsec_${Buffer.from('simulation-placeholder-secret').toString('base64')}`;
function loadConfigWithoutSecrets(file: string) {
  const env = new Proxy(process.env, {
    get: (target, key) => (typeof key === 'string' ? (target[key] ?? PLACEHOLDER_SECRET) : undefined),
  });
  return loadConfigFile(file, env);
}

function tenantOf(config: ReturnType<typeof loadConfigFile>, id: string | undefined, file: string): Tenant {
  const tenant = id ? config.tenants.get(id) : config.tenants.values().next().value;
  if (!tenant) fail(`no tenant "${id}" in ${file}`, 2);
  return tenant;
}

function window(since: string | undefined, until: string | undefined) {
  try {
    return parseWindow(since, until);
  } catch (e) {
    if (e instanceof WindowError) fail(e.message.replace(/^from/, '--since').replace(/ to /, ' --until '), 2);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// policy diff

export async function policyDiff(
  a: string,
  b: string,
  o: { db: string; tenant?: string; json?: boolean },
): Promise<void> {
  const text = await withReadStore(o.db, async (store) => {
    const tenantId = o.tenant ?? (await onlyTenant(store));
    const from = await documentOf(store, tenantId, a);
    const to = await documentOf(store, tenantId, b);
    const diff = diffRouting(from.document, to.document, { from: from.id, to: to.id });
    return o.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff);
  });
  process.stdout.write(text);
}

/** A stored version (pv_… id, number or `active`), or the tenant's document in a config file. */
async function documentOf(
  store: PolicyStore,
  tenantId: string,
  ref: string,
): Promise<{ id: string; document: RoutingDocument }> {
  const version = await findPolicyVersion(store, tenantId, ref);
  if (version) return { id: version.id, document: version.document as RoutingDocument };
  if (/\.ya?ml$/i.test(ref) && existsSync(ref)) {
    const tenant = tenantOf(loadConfigWithoutSecrets(ref), tenantId, ref);
    return { id: tenant.policy.version, document: tenant.policyDocument as RoutingDocument };
  }
  return fail(
    `no policy version "${ref}" for tenant ${tenantId} (give a pv_… id, a number, "active" or a config file)`,
    2,
  );
}

async function onlyTenant(store: PolicyStore): Promise<string> {
  const tenants = await store.tenantsWithPolicyVersions();
  if (tenants.length === 1) return tenants[0] as string;
  return fail(`--tenant is required (tenants with policy versions: ${tenants.join(', ') || 'none'})`, 2);
}

// ---------------------------------------------------------------------------------------------
// simulate

export interface SimulateCliOptions {
  config: string;
  tenant?: string;
  events?: string;
  from?: string;
  since?: string;
  until?: string;
  limit?: string;
  now?: string;
  integration?: string;
  baseline?: string;
  json?: boolean;
  changedOnly?: boolean;
  failOnChange?: boolean;
  maxChanged?: string;
}

export async function simulate(o: SimulateCliOptions): Promise<void> {
  if ((o.events === undefined) === (o.from === undefined)) fail('give exactly one of --events DIR or --from DB_URL', 2);
  const maxChanged = o.maxChanged === undefined ? undefined : Number(o.maxChanged);
  if (maxChanged !== undefined && !(maxChanged >= 0 && maxChanged <= 100))
    fail('--max-changed is a percentage, 0–100', 2);
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) fail('--limit must be a positive integer', 2);
  const config = loadConfigWithoutSecrets(o.config);
  const tenant = tenantOf(config, o.tenant, o.config);

  let report: SimulationReport;
  if (o.from !== undefined) {
    const w = window(o.since, o.until);
    report = await withReadStore(o.from, (store, functions) =>
      simulateRecorded(store, {
        functions,
        tenantId: tenant.id,
        candidate: tenant,
        ...w,
        ...(limit ? { limit } : {}),
        changedOnly: o.changedOnly ?? false,
      }),
    );
  } else {
    const now = o.now ? instant(o.now, '--now') : new Date();
    const { fixtures, unreadable } = await readEventFiles(o.events as string, tenant, o.integration);
    report = await simulateFixtures(fixtures, {
      tenantId: tenant.id,
      active: null,
      candidate: tenant,
      storeState: async () => ({ load: {}, away: {} }) as Snapshot,
      now: () => now,
      mode: 'events',
    });
    for (const u of unreadable) report.skipped.push({ reason: `${u.file}: ${u.reason}`, count: 1 });
    report.totals.skipped += unreadable.length;
    if (o.baseline) report = withBaseline(report, readBaseline(o.baseline), { changedOnly: o.changedOnly ?? false });
  }

  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatSimulation(report));
  const { changed, changedPercent } = report.totals;
  if (o.failOnChange && changed > 0) {
    fail(`${changed} decision(s) would change (--fail-on-change)`, EXIT.failed);
  }
  if (maxChanged !== undefined && changedPercent > maxChanged) {
    fail(`${changedPercent}% of decisions would change, over --max-changed ${maxChanged}%`, EXIT.failed);
  }
}

function instant(value: string, what: string): Date {
  try {
    return new Date(parseInstant(value, what));
  } catch (e) {
    return fail((e as Error).message, 2);
  }
}

function readBaseline(file: string): SimulationReport {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SimulationReport;
    if (!Array.isArray(parsed.events)) throw new Error('no "events" list: use the output of a previous --json run');
    return parsed;
  } catch (e) {
    return fail(`cannot read the baseline ${file}: ${(e as Error).message}`, 2);
  }
}

/**
 * Event files: each a Task, a fixture `{ task, snapshot?, now? }`, `{ fixtures: [...] }`, or a
 * raw source payload, which the integration's normalizer (its transform) turns into a Task. A
 * file that yields no Task is reported as skipped with the reason, as the pipeline would
 * dead-letter it.
 */
export async function readEventFiles(
  dir: string,
  tenant: Tenant,
  integrationId: string | undefined,
): Promise<{ fixtures: Fixture[]; unreadable: { file: string; reason: string }[] }> {
  let files: string[];
  try {
    files = statSync(dir).isDirectory()
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(dir, f))
      : [dir];
  } catch (e) {
    return fail(`cannot read --events ${dir}: ${(e as Error).message}`, 2);
  }
  const integration = pickIntegration(tenant, integrationId);
  const fixtures: Fixture[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  for (const path of files) {
    const file = basename(path);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      unreadable.push({ file, reason: `not JSON: ${(e as Error).message}` });
      continue;
    }
    const items: unknown[] = isObject(value) && Array.isArray(value.fixtures) ? value.fixtures : [value];
    for (const [i, item] of items.entries()) {
      const name = items.length > 1 ? `${file}#${i}` : file;
      const fixture = await fixtureOf(item, name, integration, tenant);
      if ('reason' in fixture) unreadable.push({ file: name, reason: fixture.reason });
      else fixtures.push(fixture);
    }
  }
  return { fixtures, unreadable };
}

async function fixtureOf(
  item: unknown,
  file: string,
  integration: Integration | undefined,
  tenant: Tenant,
): Promise<Fixture | { reason: string }> {
  if (isObject(item) && isObject(item.task)) {
    const task = validateTaskShape(item.task);
    if (!task.ok) return { reason: task.reason };
    if (item.now !== undefined && (typeof item.now !== 'string' || Number.isNaN(Date.parse(item.now)))) {
      return { reason: '`now` is not an RFC 3339 time' };
    }
    if (item.snapshot !== undefined && !isObject(item.snapshot)) return { reason: '`snapshot` is not an object' };
    return {
      task: task.task,
      file,
      ...(item.snapshot ? { snapshot: item.snapshot as Partial<Snapshot> } : {}),
      ...(typeof item.now === 'string' ? { now: new Date(item.now).toISOString() } : {}),
    };
  }
  if (isObject(item)) {
    const direct = validateTaskShape(item);
    if (direct.ok) return { task: direct.task, file };
  }
  if (!integration) return { reason: 'not a Task, and the tenant has no integration to normalize it with' };
  const result = await normalize({ integration, payload: item, meta: {}, roster: tenant.roster });
  if (!result.ok) return { reason: result.reason };
  const { action } = result;
  if (action.kind === 'upsert' || action.kind === 'reopen') return { task: action.task, file };
  return { reason: `the ${integration.type} normalizer makes it a ${action.kind}, not a task to route` };
}

function pickIntegration(tenant: Tenant, id: string | undefined): Integration | undefined {
  if (id) {
    const integration = tenant.integrations.get(id);
    if (!integration) fail(`no integration "${id}" for tenant ${tenant.id}`, 2);
    return integration;
  }
  const all = [...tenant.integrations.values()];
  return all.find((i) => i.transform) ?? all.find((i) => i.type === 'generic') ?? all[0];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Human-readable report: totals, load per member, then the events (changed ones first). */
export function formatSimulation(r: SimulationReport, maxLines = 50): string {
  const out: string[] = [];
  const against =
    r.mode === 'recorded'
      ? `recorded decisions${r.baseline ? ` (${r.baseline})` : ''}${r.window.from || r.window.to ? ` ${r.window.from ?? '…'} – ${r.window.to ?? '…'}` : ''}`
      : r.mode === 'fixtures'
        ? `the active version ${r.baseline}`
        : r.events.some((e) => e.before)
          ? 'the baseline'
          : 'nothing (no baseline: new decisions only)';
  out.push(`simulate ${r.tenant}: candidate ${r.candidate} against ${against}`);
  const t = r.totals;
  out.push(
    `  ${t.events} events, ${t.changed} changed (${t.changedPercent}%), ${t.routeChanged} with another route, ` +
      `${t.becameUnassigned} would become unassigned, ${t.skipped} skipped${t.truncated ? ', limit reached' : ''}`,
  );
  for (const s of r.skipped) out.push(`  skipped ${s.count}: ${s.reason}`);
  const compared = r.events.some((e) => e.before);
  if (compared && r.load.length) {
    out.push('  assignments per member (before → after):');
    const width = Math.max(...r.load.map((l) => l.memberId.length));
    for (const l of r.load) {
      const delta = l.delta === 0 ? '' : `  (${l.delta > 0 ? '+' : ''}${l.delta})`;
      out.push(
        `    ${l.memberId.padEnd(width)}  ${String(l.before).padStart(5)} → ${String(l.after).padEnd(5)}${delta}`.trimEnd(),
      );
    }
  }
  const where = (d: { outcome: string; assignee: string | null; queue: string | null; route: string | null }) =>
    `${d.outcome === 'assigned' ? d.assignee : `queue ${d.queue}`} [${d.route ?? 'fallback'}]`;
  const shown = compared ? r.events.filter((e) => e.changed || e.routeChanged) : r.events;
  if (shown.length) out.push(compared ? '  changed:' : '  decisions:');
  for (const e of shown.slice(0, maxLines)) {
    const id = e.decisionId ? ` (decision ${e.decisionId})` : e.file ? ` (${e.file})` : '';
    if (e.before && (e.changed || e.routeChanged)) {
      out.push(`  ~ ${e.externalId}${id}: ${where(e.before)} → ${where(e.after)}`);
      if (e.why) out.push(`      ${e.why.summary}`);
    } else {
      out.push(`    ${e.externalId}${id}: → ${where(e.after)}`);
    }
  }
  if (shown.length > maxLines) out.push(`  … ${shown.length - maxLines} more (--json lists every one)`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// replay --verify

export async function replay(o: {
  db: string;
  verify?: boolean;
  tenant?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}): Promise<void> {
  if (!o.verify) fail('replay needs --verify (decide every recorded decision again and compare)', 2);
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) fail('--limit must be a positive integer', 2);
  const since = o.since === undefined ? undefined : instant(o.since, '--since').toISOString();
  const reports: ReplayReport[] = await withReadStore(o.db, async (store, functions) => {
    const tenants = o.tenant ? [o.tenant] : await store.tenantsWithDecisions();
    const out: ReplayReport[] = [];
    for (const tenantId of tenants) {
      out.push(
        await replayVerify(store, { tenantId, functions, ...(since ? { since } : {}), ...(limit ? { limit } : {}) }),
      );
    }
    return out;
  });
  if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else if (reports.length === 0) process.stdout.write('No recorded decisions.\n');
  else for (const r of reports) process.stdout.write(formatReplay(r));
  if (reports.some((r) => r.mismatched > 0)) process.exitCode = EXIT.failed;
}
