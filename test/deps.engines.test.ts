/**
 * The whole installed tree runs on the Node versions package.json promises: every package's
 * `engines.node` accepts the lowest version our own `engines` allows and the one running now.
 * (cookie@2, pulled in by light-my-request 6.8, asked for Node ≥ 22: hence the override.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/cli.js';

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: unknown };
}

function manifests(dir: string, out: Manifest[] = []): Manifest[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.startsWith('@')) {
      manifests(path, out);
      continue;
    }
    const file = join(path, 'package.json');
    if (existsSync(file)) out.push(JSON.parse(readFileSync(file, 'utf8')) as Manifest);
    manifests(join(path, 'node_modules'), out);
  }
  return out;
}

describe('the dependency tree', () => {
  it('satisfies the engines range package.json declares', () => {
    const own = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;
    const range = String(own.engines?.node);
    const lowest = semver.minVersion(range)?.version;
    expect(lowest).toBeDefined();
    const versions = [lowest as string, process.versions.node];
    const all = manifests(join(REPO, 'node_modules'));
    expect(all.length).toBeGreaterThan(100);
    const refusing = all
      .filter((m) => typeof m.engines?.node === 'string')
      .filter((m) => versions.some((v) => !semver.satisfies(v, m.engines?.node as string)))
      .map((m) => `${m.name}@${m.version} wants node ${String(m.engines?.node)}`);
    expect(refusing).toEqual([]);
  });
});
