/** switchyard secrets rotate | list: an integration's rotated secrets, on the store directly. */
import { loadConfigFile } from '../config/load.js';
import type { Integration } from '../config/model.js';
import { SecretKeyError } from '../crypto/secret-box.js';
import { listSecrets, rotateSecret } from '../intake/secret-rotation.js';
import { openStore } from '../store/open-store.js';
import { fail, usage } from './exit.js';
import { openExistingStore } from './store-session.js';

interface Target {
  config: string;
  db: string;
  tenant: string;
  integration: string;
}

/** `90m`, `24h`, `3600s`, `7d` or bare seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) usage(`--expire-others-in: "${text}" is not a duration (e.g. 24h, 90m, 3600s, 0)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

function integrationOf(o: Target): Integration {
  const tenant = loadConfigFile(o.config).tenants.get(o.tenant);
  if (!tenant) usage(`no tenant "${o.tenant}" in ${o.config}`);
  const integration = tenant.integrations.get(o.integration);
  if (!integration) usage(`no integration "${o.integration}" for tenant ${o.tenant} in ${o.config}`);
  return integration;
}

export async function secretsRotate(o: Target & { expireOthersIn: string }): Promise<void> {
  const integration = integrationOf(o);
  const expireOthersInSeconds = parseDuration(o.expireOthersIn);
  const store = await openStore(o.db);
  try {
    const r = await rotateSecret({ store, tenantId: o.tenant, integration, actor: 'cli' }, { expireOthersInSeconds });
    process.stderr.write(
      `Created secret ${r.id} for ${o.tenant}/${o.integration}. It is shown once; give it to the sender now.\n` +
        `The integration's other stored secrets are accepted until ${r.expiresOthersAt}.\n` +
        (r.configSecrets > 0
          ? `Its ${r.configSecrets} config secret(s) are still accepted: remove them from ${o.config} once the sender uses the new one.\n`
          : ''),
    );
    process.stdout.write(`${r.secret}\n`);
  } catch (e) {
    if (e instanceof SecretKeyError) fail(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

export async function secretsList(o: Target & { json?: boolean }): Promise<void> {
  const integration = integrationOf(o);
  const store = await openExistingStore(o.db);
  try {
    const items = await listSecrets(store, o.tenant, integration);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
      return;
    }
    for (const s of items) {
      const state = s.revokedAt ? `revoked ${s.revokedAt}` : s.active ? 'active' : 'expired';
      const until = s.expiresAt && !s.revokedAt ? ` until ${s.expiresAt}` : '';
      const created = s.createdAt ? ` created ${s.createdAt}` : '';
      process.stdout.write(`${s.id.padEnd(26)}  ${s.source.padEnd(6)}  ${state}${until}${created}\n`);
    }
  } finally {
    await store.close();
  }
}
