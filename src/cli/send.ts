/** `switchyard send FILE…`: sign sample events with the config's secret and POST them, as a real sender would. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { loadConfigFile } from '../config/load.js';
import type { Integration, Tenant } from '../config/model.js';
import { fail } from './options.js';

export interface SendOptions {
  config: string;
  url: string;
  tenant?: string;
  integration?: string;
}

export async function send(files: string[], o: SendOptions): Promise<void> {
  const config = loadConfigFile(o.config);
  const tenant = o.tenant ? config.tenants.get(o.tenant) : config.tenants.values().next().value;
  if (!tenant) fail(`no tenant "${o.tenant}" in ${o.config}`);
  const integration = o.integration
    ? tenant.integrations.get(o.integration)
    : tenant.integrations.values().next().value;
  if (!integration) fail(`no integration "${o.integration}" for tenant ${tenant.id}`);
  const secret = integration.secrets.find((s) => s.expiresAt === undefined || s.expiresAt > Date.now());
  if (!secret) fail(`every secret of ${tenant.id}/${integration.id} has expired`);

  let failures = 0;
  for (const file of files) {
    if (!(await sendOne(file, tenant, integration, secret.key, o.url))) failures++;
  }
  if (failures === 0) process.stdout.write('Routed within a moment; see who got what and why: npx switchyard tasks\n');
  else process.exit(1);
}

async function sendOne(
  file: string,
  tenant: Tenant,
  integration: Integration,
  key: Buffer,
  url: string,
): Promise<boolean> {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
    JSON.parse(body);
  } catch (e) {
    process.stderr.write(`switchyard: cannot send ${file}: ${(e as Error).message}\n`);
    return false;
  }
  // The same library a sender would use, so this doubles as an interoperability check.
  const id = `msg_${randomUUID()}`;
  const now = new Date();
  const signature = new Webhook(key, { format: 'raw' }).sign(id, now, body);
  const target = `${url.replace(/\/$/, '')}/hooks/${tenant.id}/${integration.id}`;
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
    });
  } catch (e) {
    fail(`cannot reach ${target}: ${(e as Error).cause ?? (e as Error).message}. Is the server running (npm start)?`);
  }
  process.stdout.write(`${file} → ${response.status} ${await response.text()}\n`);
  return response.ok;
}
