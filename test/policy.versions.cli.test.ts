/**
 * The policy CLI, as an operator runs it, on both stores: `switchyard apply` records the
 * file's routing as a version (author cli:<user>), `policy versions|show|activate|activations`
 * work on the store, a rollback is recorded as one, `apply --activate` refuses a version that
 * needs review, and `policy approve` approves through the API with a scoped key.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { REPO, runCli } from './support/cli.js';
import { TEST_CONFIG_YAML } from './support/policy.js';
import { startTestServer } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const CHANGED = TEST_CONFIG_YAML.replace('{ id: carol, capacity: 2 }', '{ id: carol, capacity: 5 }');
const REVIEWED = CHANGED.replace('  - id: acme\n', '  - id: acme\n    policyReview: { required: true }\n').replace(
  '{ id: bob, capacity: 3 }',
  '{ id: bob, capacity: 7 }',
);

for (const kind of STORES) {
  // Each command is a child process that loads the whole CLI: allow for a busy machine.
  describe(`policy CLI (${kind})`, { timeout: 180_000 }, () => {
    let db: string;
    let store: SqlStore;
    const files: Record<string, string> = {};
    const user = `cli:${userInfo().username}`;
    const cli = (...args: string[]) => runCli([...args, '--db', db]);

    beforeAll(async () => {
      expect(REVIEWED).toContain('capacity: 7');
      db = await freshStoreUrl(kind);
      store = await openStore(db);
      const dir = await mkdtemp(join(REPO, '.tmp', 'policy-cli-'));
      for (const [name, text] of Object.entries({ original: TEST_CONFIG_YAML, changed: CHANGED, reviewed: REVIEWED })) {
        files[name] = join(dir, `${name}.yaml`);
        await writeFile(files[name] as string, text);
      }
    });
    afterAll(async () => {
      await store.close();
    });

    it('apply records the file as a version, once per content, and --activate makes it active', async () => {
      let out = await cli(
        'apply',
        '--config',
        files.original as string,
        '--tenant',
        'acme',
        '--activate',
        '--message',
        'first',
      );
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^acme {2}created version 1 \(pv_[0-9a-f]{16}\), review not_required$/m);
      expect(out.stdout).toMatch(/^acme {2}activated version 1/m);
      out = await cli('apply', '--config', files.original as string, '--tenant', 'acme');
      expect(out.stdout).toMatch(/unchanged: this content is version 1/);
      out = await cli('apply', '--config', files.changed as string, '--tenant', 'acme', '--message', 'carol has room');
      expect(out.stdout).toMatch(/created version 2/);
      const v2 = await store.getPolicyVersion('acme', { number: 2 });
      expect(v2).toMatchObject({ author: user, message: 'carol has room', review: 'not_required' });
      expect((await store.activePolicies(['acme']))[0]?.version).not.toBe(v2?.id);
    });

    it('policy versions, show, activate and a rollback, recorded in activations', async () => {
      let out = await cli('policy', 'versions', '--tenant', 'acme');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^ {4}2 {2}pv_\w+ {2}not_required/m);
      expect(out.stdout).toMatch(/^\* {3}1 {2}pv_\w+/m);
      out = await cli('policy', 'show', '2', '--tenant', 'acme');
      expect(out.stdout).toMatch(/^version 2 \(pv_/);
      expect(out.stdout).toContain('message: carol has room');
      expect(out.stdout).toMatch(/capacity: 5/);
      out = await cli('policy', 'activate', '2', '--tenant', 'acme', '--reason', 'go');
      expect(out.stdout).toMatch(/^acme {2}activated version 2/);
      out = await cli('policy', 'activate', '1', '--tenant', 'acme', '--reason', 'back');
      expect(out.stdout).toMatch(/^acme {2}rolled back to version 1/);
      out = await cli('policy', 'activations', '--tenant', 'acme', '--json');
      const items = JSON.parse(out.stdout) as { number: number; rollback: boolean; actor: string; reason: string }[];
      expect(items.map((a) => [a.number, a.rollback, a.actor, a.reason])).toEqual([
        [1, true, user, 'back'],
        [2, false, user, 'go'],
        [1, false, user, 'first'],
      ]);
      out = await cli('policy', 'show', '99', '--tenant', 'acme');
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/no policy version "99"/);
    });

    it('with review required, apply --activate and policy activate refuse the pending version', async () => {
      let out = await cli('apply', '--config', files.reviewed as string, '--tenant', 'acme', '--activate');
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(/created version 3 .*review pending/);
      expect(out.stderr).toMatch(/not activated: .*pending review/);
      out = await cli('policy', 'activate', '3', '--tenant', 'acme');
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/policy:approve/);
    });

    it('keys create --scope policy:approve makes a key that approves through the API (policy approve)', async () => {
      let out: Awaited<ReturnType<typeof cli>>;
      expect((await cli('keys', 'create', '--tenant', 'acme', '--scope', 'nope')).code).toBe(2);
      const created = await cli(
        'keys',
        'create',
        '--tenant',
        'acme',
        '--name',
        'reviewer',
        '--scope',
        'policy:approve',
      );
      expect(created.stderr).toMatch(/with scope policy:approve/);
      const key = created.stdout.trim();

      const server = await startTestServer(kind, { storeUrl: db, worker: false });
      try {
        out = await runCli(['policy', 'approve', '3', '--url', server.base, '--key', key]);
        expect(out.stderr).toBe('');
        expect(out.stdout).toMatch(/^approved version 3 \(pv_\w+\) as apikey:/);
      } finally {
        await server.close();
      }
      out = await cli('policy', 'activate', '3', '--tenant', 'acme');
      expect(out.code).toBe(0);
      expect((await store.activePolicies(['acme']))[0]?.version).toBe(
        (await store.getPolicyVersion('acme', { number: 3 }))?.id,
      );
      out = await cli('audit', 'verify', '--tenant', 'acme');
      expect(out.code).toBe(0);
    });
  });
}
