/**
 * Read commands refuse a `--db` that names no database (a typo) instead of creating an empty,
 * migrated one and reporting "no tasks": they exit non-zero, name the file, and create nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { freshStoreUrl, STORES } from './support/stores.js';

describe('read commands on a database that does not exist', () => {
  it('`tasks --db sqlite:/nonexistent/typo.db` exits non-zero naming the file, and creates nothing', async () => {
    const out = await runCli(['tasks', '--db', 'sqlite:/nonexistent/typo.db']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('/nonexistent/typo.db');
    expect(out.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync('/nonexistent')).toBe(false);
  });

  it('audit verify, dead-letters list, policy versions, functions list and replay refuse it too', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sy-typo-')), 'typo.db');
    const db = ['--db', `sqlite:${path}`];
    const runs = await Promise.all([
      runCli(['audit', 'verify', ...db]),
      runCli(['dead-letters', 'list', ...db]),
      runCli(['policy', 'versions', '--tenant', 'acme', ...db]),
      runCli(['functions', 'list', '--tenant', 'acme', ...db]),
      runCli(['replay', '--verify', ...db]),
    ]);
    for (const out of runs) {
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain(path);
    }
    expect(existsSync(path)).toBe(false);
  });
});

for (const kind of STORES.filter((k) => k === 'postgres')) {
  describe(`read commands on a database without the schema (${kind})`, () => {
    it('`tasks` refuses it and leaves it without the schema', async () => {
      const url = await freshStoreUrl(kind);
      const out = await runCli(['tasks', '--db', url]);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain('has no Switchyard schema');
      const again = await runCli(['tasks', '--db', url]);
      expect(again.code).not.toBe(0);
    });
  });
}
