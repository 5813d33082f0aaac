/**
 * switchyard apply | policy versions | show | activate | activations | approve.
 * Versions, activations and rollbacks work on the store directly (actor `cli:<os user>`), as
 * the operator who holds the database URL. Approval is the one step that goes through the
 * API: it must be made with a key that has scope policy:approve and did not create the
 * version, so `policy approve` calls the running server with such a key.
 */

import { stringify } from 'yaml';
import { loadConfigFile } from '../config/load.js';
import type { RoutingDocument } from '../config/tenant.js';
import { FunctionRegistry } from '../functions/registry.js';
import { checkPinnedFunctions } from '../policy/pinned-functions.js';
import { activationRefusal, createPolicyVersion, findPolicyVersion } from '../policy/versions.js';
import type { PolicyStore, PolicyVersionSummary } from '../store/policy-store.js';
import { EXIT, fail, usage } from './exit.js';
import { cliActor, withExistingStore, withStore } from './store-session.js';

const describeVersion = (v: PolicyVersionSummary) => `version ${v.number} (${v.id})`;

/** `switchyard apply`: the config file's policy, members and teams as a new version of each tenant. */
export async function apply(o: {
  config: string;
  db: string;
  tenant?: string;
  message?: string;
  activate?: boolean;
}): Promise<void> {
  const config = loadConfigFile(o.config);
  if (o.tenant && !config.tenants.has(o.tenant)) usage(`tenant "${o.tenant}" is not in ${o.config}`);
  const tenants = [...config.tenants.values()].filter((t) => !o.tenant || t.id === o.tenant);
  const actor = cliActor();
  let refused = false;
  await withStore(o.db, async (store) => {
    // Check every tenant before writing any: a refused apply leaves nothing behind.
    const functions = new FunctionRegistry(store);
    let unrunnable = false;
    for (const tenant of tenants) {
      const document = tenant.policyDocument as RoutingDocument;
      for (const p of await checkPinnedFunctions((t, ref) => functions.get(t, ref), tenant.id, document)) {
        unrunnable = true;
        process.stderr.write(`${tenant.id}  ${p.pointer}: ${p.message}\n`);
      }
    }
    if (unrunnable) fail('the policy pins functions that cannot run; nothing was applied');
    for (const tenant of tenants) {
      const now = new Date().toISOString();
      const { version, created } = await createPolicyVersion(store, {
        tenantId: tenant.id,
        document: tenant.policyDocument as RoutingDocument,
        author: actor,
        message: o.message ?? null,
        reviewRequired: tenant.policyReview?.required ?? false,
        now,
      });
      process.stdout.write(
        created
          ? `${tenant.id}  created ${describeVersion(version)}, review ${version.review}\n`
          : `${tenant.id}  unchanged: this content is ${describeVersion(version)}, review ${version.review}\n`,
      );
      if (!o.activate) continue;
      const refusal = await activationRefusal(store, tenant.id, version);
      if (refusal) {
        refused = true;
        process.stderr.write(`${tenant.id}  not activated: ${refusal}\n`);
        continue;
      }
      const result = await store.activatePolicyVersion({
        tenantId: tenant.id,
        version: version.id,
        actor,
        reason: o.message ?? 'switchyard apply',
        now,
      });
      process.stdout.write(
        result.status === 'activated'
          ? `${tenant.id}  activated ${describeVersion(version)}${result.activation.previous ? ` (was ${result.activation.previous})` : ''}\n`
          : `${tenant.id}  ${describeVersion(version)} was already active\n`,
      );
    }
  });
  if (refused) process.exitCode = EXIT.failed;
}

async function resolveOrFail(store: PolicyStore, tenant: string, ref: string) {
  const version = await findPolicyVersion(store, tenant, ref);
  if (!version) fail(`tenant ${tenant} has no policy version "${ref}" (give a pv_… id, a number or "active")`);
  return version;
}

export async function policyVersions(o: { db: string; tenant: string; limit: string; json?: boolean }): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const [page, [active]] = await Promise.all([
      store.listPolicyVersions(o.tenant, Math.max(1, Number(o.limit) || 20)),
      store.activePolicies([o.tenant]),
    ]);
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify(
          page.items.map((v) => ({ ...v, active: v.id === active?.version })),
          null,
          2,
        )}\n`,
      );
      return;
    }
    if (page.items.length === 0) process.stdout.write(`No policy versions for tenant ${o.tenant}.\n`);
    for (const v of page.items) {
      const mark = v.id === active?.version ? '*' : ' ';
      process.stdout.write(
        `${mark} ${String(v.number).padStart(3)}  ${v.id}  ${v.review.padEnd(12)}  ${v.createdAt}  ${v.author ?? '-'}` +
          `${v.message ? `  ${v.message}` : ''}\n`,
      );
    }
  });
}

export async function policyShow(ref: string, o: { db: string; tenant: string; json?: boolean }): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const v = await resolveOrFail(store, o.tenant, ref);
    const [active] = await store.activePolicies([o.tenant]);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ ...v, active: v.id === active?.version }, null, 2)}\n`);
      return;
    }
    const lines = [
      `${describeVersion(v)}${v.id === active?.version ? '  [active]' : ''}`,
      `review:  ${v.review}${v.approvedBy ? ` by ${v.approvedBy} at ${v.approvedAt}` : ''}`,
      `author:  ${v.author ?? '-'}   created ${v.createdAt}${v.parent ? `   parent ${v.parent}` : ''}`,
      ...(v.message ? [`message: ${v.message}`] : []),
      '',
      stringify(v.document).trimEnd(),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

export async function policyActivate(ref: string, o: { db: string; tenant: string; reason?: string }): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const v = await resolveOrFail(store, o.tenant, ref);
    const refusal = await activationRefusal(store, o.tenant, v);
    if (refusal) fail(refusal);
    const result = await store.activatePolicyVersion({
      tenantId: o.tenant,
      version: v.id,
      actor: cliActor(),
      reason: o.reason ?? null,
      now: new Date().toISOString(),
    });
    if (result.status === 'activated') {
      const a = result.activation;
      process.stdout.write(
        `${o.tenant}  ${a.rollback ? 'rolled back to' : 'activated'} ${describeVersion(v)}` +
          `${a.previous ? ` (was ${a.previous})` : ''}; running servers route new events with it within seconds\n`,
      );
    } else {
      process.stdout.write(`${o.tenant}  ${describeVersion(v)} was already active\n`);
    }
  });
}

export async function policyActivations(o: { db: string; tenant: string; limit: string; json?: boolean }) {
  await withExistingStore(o.db, async (store) => {
    const page = await store.listPolicyActivations(o.tenant, { limit: Math.max(1, Number(o.limit) || 20) });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(page.items, null, 2)}\n`);
      return;
    }
    if (page.items.length === 0) process.stdout.write(`No activations for tenant ${o.tenant}.\n`);
    for (const a of page.items) {
      process.stdout.write(
        `${a.at}  ${a.rollback ? 'rollback ' : 'activate '} ${a.previousNumber ?? '-'} → ${a.number ?? '?'} (${a.version})` +
          `  ${a.actor}${a.reason ? `  ${a.reason}` : ''}\n`,
      );
    }
  });
}

/** Approval goes through the API with a scoped key (the server checks the scope and that it is not the author's). */
export async function policyApprove(ref: string, o: { url: string; key?: string }): Promise<void> {
  const key = o.key ?? process.env.SWITCHYARD_API_KEY;
  if (!key) {
    usage('approving needs an API key with scope policy:approve: pass --key or set SWITCHYARD_API_KEY');
  }
  const res = await fetch(`${o.url.replace(/\/+$/, '')}/api/v1/policies/versions/${encodeURIComponent(ref)}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) fail(`${res.status} ${String(body.detail ?? body.title ?? 'refused')}`);
  process.stdout.write(`approved version ${body.number} (${body.id}) as ${body.approvedBy}\n`);
}
