/** `switchyard send FILE`: sign a sample event with the config's secret and POST it, as a real sender would. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { loadConfigFile } from '../config/load.js';
import { fail } from './options.js';

export interface SendOptions {
  config: string;
  url: string;
  tenant?: string;
  integration?: string;
}

export async function send(file: string, o: SendOptions): Promise<void> {
  const config = loadConfigFile(o.config);
  const tenant = o.tenant ? config.tenants.get(o.tenant) : config.tenants.values().next().value;
  if (!tenant) fail(`no tenant "${o.tenant}" in ${o.config}`);
  const integration = o.integration
    ? tenant.integrations.get(o.integration)
    : tenant.integrations.values().next().value;
  if (!integration) fail(`no integration "${o.integration}" for tenant ${tenant.id}`);
  const secret = integration.secrets.find((s) => s.expiresAt === undefined || s.expiresAt > Date.now());
  if (!secret) fail(`every secret of ${tenant.id}/${integration.id} has expired`);

  let body: string;
  try {
    body = readFileSync(file, 'utf8');
    JSON.parse(body);
  } catch (e) {
    fail(`cannot send ${file}: ${(e as Error).message}`);
  }
  // The same library a sender would use, so this doubles as an interoperability check.
  const id = `msg_${randomUUID()}`;
  const now = new Date();
  const signature = new Webhook(secret.key, { format: 'raw' }).sign(id, now, body);
  const target = `${o.url.replace(/\/$/, '')}/hooks/${tenant.id}/${integration.id}`;
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
  const text = await response.text();
  process.stdout.write(`POST ${target} → ${response.status}\n${text}\n`);
  if (!response.ok) process.exit(1);
  process.stdout.write('Routed within a moment; see who got it and why: npx switchyard tasks\n');
}
