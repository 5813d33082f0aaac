/**
 * The config the server children run with: examples/demo.yaml with every member's capacity
 * raised, so the e2e tasks are assigned instead of queueing once the five demo people are full.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfigFile } from '../src/config/load.js';

export const BENCH_CAPACITY = 1_000_000;

export interface BenchTarget {
  configPath: string;
  tenant: string;
  integration: string;
  /** HMAC key of the integration's first secret. */
  key: Buffer;
}

export function writeBenchConfig(repo: string, dir: string): BenchTarget {
  const doc = parseDocument(readFileSync(join(repo, 'examples', 'demo.yaml'), 'utf8'));
  const raw = doc.toJS() as { tenants: { members: { capacity?: number }[] }[] };
  for (const tenant of raw.tenants) for (const m of tenant.members) m.capacity = BENCH_CAPACITY;
  const configPath = join(dir, 'bench-config.yaml');
  writeFileSync(configPath, JSON.stringify(raw, null, 2)); // JSON is YAML
  // Load it with the project's own loader: validates it and yields the secret exactly as the server sees it.
  const config = loadConfigFile(configPath);
  const tenant = [...config.tenants.values()][0];
  const integration = tenant ? [...tenant.integrations.values()][0] : undefined;
  const key = integration?.secrets[0]?.key;
  if (!tenant || !integration || !key) throw new Error('examples/demo.yaml has no tenant with a signed integration');
  return { configPath, tenant: tenant.id, integration: integration.id, key };
}
