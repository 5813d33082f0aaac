/** Admin commands that work on the store directly: keys, audit verification, migrations. */
import { API_KEY_SCOPES, createApiKey } from '../api/api-keys.js';
import { describeAuditProblem, verifyTenantAudit } from '../audit/verify-store.js';
import { openStore } from '../store/open-store.js';
import { EXIT, usage } from './exit.js';
import { storeLabel } from './options.js';
import { openExistingStore } from './store-session.js';

export async function keysCreate(o: { db: string; tenant: string; name: string; scope?: string[] }): Promise<void> {
  const scopes = o.scope ?? [];
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length) usage(`unknown scope ${unknown.join(', ')} (known: ${API_KEY_SCOPES.join(', ')})`);
  const store = await openStore(o.db);
  try {
    const { id, key } = await createApiKey(store, o.tenant, o.name, scopes);
    const scoped = scopes.length ? ` with scope ${scopes.join(', ')}` : '';
    process.stderr.write(`Created API key ${id} for tenant ${o.tenant}${scoped}. It is shown once; store it now.\n`);
    process.stdout.write(`${key}\n`);
  } finally {
    await store.close();
  }
}

export async function auditVerify(o: { db: string; tenant?: string }): Promise<void> {
  const store = await openExistingStore(o.db);
  let failed = false;
  try {
    const tenants = o.tenant ? [o.tenant] : await store.auditTenants();
    if (tenants.length === 0) process.stdout.write('No audit entries yet.\n');
    for (const tenantId of tenants) {
      const report = await verifyTenantAudit(store, tenantId);
      if (report.ok) {
        process.stdout.write(`ok    ${tenantId}: ${report.entries} entries, chain intact\n`);
      } else {
        failed = true;
        process.stdout.write(`FAIL  ${tenantId}: ${describeAuditProblem(report.firstProblem!)}\n`);
      }
    }
  } finally {
    await store.close();
  }
  if (failed) process.exitCode = EXIT.failed;
}

export async function migrate(o: { db: string }): Promise<void> {
  const store = await openStore(o.db);
  await store.close();
  process.stdout.write(`migrated ${storeLabel(o.db)} to the latest schema\n`);
}
