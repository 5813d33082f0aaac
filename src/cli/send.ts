/** `switchyard send FILE…`: sign sample events with the config's secret and POST them, as a real sender would. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { loadConfigFile } from '../config/load.js';
import type { Integration, Tenant } from '../config/model.js';
import { EXIT, usage } from './exit.js';

export interface SendOptions {
  config: string;
  url: string;
  tenant?: string;
  integration?: string;
}

export async function send(files: string[], o: SendOptions): Promise<void> {
  const config = loadConfigFile(o.config);
  const tenant = o.tenant ? config.tenants.get(o.tenant) : config.tenants.values().next().value;
  if (!tenant) usage(`no tenant "${o.tenant}" in ${o.config}`);
  const integration = o.integration
    ? tenant.integrations.get(o.integration)
    : tenant.integrations.values().next().value;
  if (!integration) usage(`no integration "${o.integration}" for tenant ${tenant.id}`);
  const secret = integration.secrets.find((s) => s.expiresAt === undefined || s.expiresAt > Date.now());
  if (!secret) usage(`every secret of ${tenant.id}/${integration.id} has expired`);

  const outcomes = new Set<Outcome>();
  for (const file of files) outcomes.add(await sendOne(file, tenant, integration, secret.key, o.url));
  if (outcomes.has('unreadable')) process.exitCode = EXIT.usage;
  else if (outcomes.has('refused')) process.exitCode = EXIT.failed;
  else process.stdout.write('Routed within a moment; see who got what and why: npx switchyard tasks\n');
}

/** `unreadable`: the file is not JSON (exit 2); `refused`: the server answered non-2xx (exit 1). */
type Outcome = 'sent' | 'refused' | 'unreadable';

async function sendOne(
  file: string,
  tenant: Tenant,
  integration: Integration,
  key: Buffer,
  url: string,
): Promise<Outcome> {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
    JSON.parse(body);
  } catch (e) {
    process.stderr.write(`switchyard: cannot send ${file}: ${(e as Error).message}\n`);
    return 'unreadable';
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
    usage(`cannot reach ${target}: ${(e as Error).cause ?? (e as Error).message}. Is the server running (npm start)?`);
  }
  process.stdout.write(`${file} → ${response.status} ${await response.text()}\n`);
  return response.ok ? 'sent' : 'refused';
}
