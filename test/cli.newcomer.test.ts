/**
 * The CLI as a new user meets it: `--version`; `npm start`'s `serve` honours SWITCHYARD_CONFIG
 * and says in one line which config, store and port it serves; `send` finds the server on PORT
 * without `--url`; `tasks` shows each task's status and filters by status, assignee, source key
 * and count; a wrong path is a usage error (exit 2, one line), not a stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { REPO, runCli, useChildServer } from './support/cli.js';
import { waitUntilSettled } from './support/server.js';
import { freshStoreUrl } from './support/stores.js';

const DEMO = join(REPO, 'examples/demo.yaml');
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

/** `runCli` with some environment variables set (and SWITCHYARD_URL unset) for the child. */
async function runWithEnv(env: Record<string, string>, args: string[]) {
  const saved = { ...process.env };
  delete process.env.SWITCHYARD_URL;
  Object.assign(process.env, env);
  try {
    return await runCli(args);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('the CLI a newcomer meets', () => {
  const h = useChildServer(DEMO);

  it('--version prints the version of package.json', async () => {
    const out = await runCli(['--version']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  });

  it('send posts to the PORT the server serves when no --url is given', async () => {
    const port = new URL(h.server.base).port;
    const help = await runWithEnv({ PORT: port }, ['send', '--help']);
    expect(help.stdout).toContain(`http://127.0.0.1:${port}`);
    const files = ['checkout-outage', 'api-latency', 'enterprise-question'].map((e) => `examples/events/${e}.json`);
    const sent = await runWithEnv({ PORT: port }, ['send', ...files, '--config', DEMO]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout.match(/→ 202 /g)).toHaveLength(3);
    await waitUntilSettled(h.store);
  });

  it('tasks shows every task’s status, and filters by status, assignee, source key and count', async () => {
    const [platform] = (await h.store.listTasks('acme', { externalId: 'SUP-1043', limit: 1 })).items;
    const { key } = await createApiKey(h.store, 'acme', 'newcomer');
    const closed = await fetch(`${h.server.base}/api/v1/tasks/${platform?.id}/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'fixed' }),
    });
    expect(closed.status).toBe(200);

    const all = await runCli(['tasks', '--db', h.dbUrl]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/SUP-1042 {2}→ alice {2}\[payments-urgent\] {2}assigned {2}/);
    expect(all.stdout).toMatch(/SUP-1043 {2}→ carol {2}\[platform\] {2}closed {2}/);
    expect(all.stdout).toMatch(/SUP-1044 {2}→ erin {2}\[enterprise\] {2}assigned {2}/);

    const onlyClosed = await runCli(['tasks', '--db', h.dbUrl, '--status', 'closed']);
    expect(onlyClosed.stdout.match(/^acme {2}SUP-\d+/gm)).toEqual(['acme  SUP-1043']);
    const erin = await runCli(['tasks', '--db', h.dbUrl, '--assignee', 'erin', '--json']);
    expect((JSON.parse(erin.stdout) as { externalId: string }[]).map((t) => t.externalId)).toEqual(['SUP-1044']);
    const byKey = await runCli(['tasks', '--db', h.dbUrl, '--external-id', 'SUP-1042']);
    expect(byKey.stdout.match(/^acme {2}SUP-\d+/gm)).toEqual(['acme  SUP-1042']);
    const newest = await runCli(['tasks', '--db', h.dbUrl, '--limit', '1', '--json']);
    expect(JSON.parse(newest.stdout)).toHaveLength(1);
    const none = await runCli(['tasks', '--db', h.dbUrl, '--assignee', 'nobody']);
    expect(none.stdout).toBe('No tasks match.\n');
    const bad = await runCli(['tasks', '--db', h.dbUrl, '--status', 'done']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/argument 'done' is invalid/);
  });
});

describe('exit codes: a usage error is 2 and one line', () => {
  it('simulate --from a database that does not exist: exit 2, one line, no stack trace, no file created', async () => {
    const missing = join(REPO, '.tmp/no-such-dir/nope.db');
    const out = await runCli(['simulate', '--config', DEMO, '--from', `sqlite:${missing}`]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(`switchyard: no database at ${missing} (check --db; "switchyard migrate" creates one)\n`);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(missing)).toBe(false);
  });

  it('an unknown command or option is a usage error (2)', async () => {
    expect((await runCli(['tsaks'])).code).toBe(2);
    expect((await runCli(['tasks', '--colour'])).code).toBe(2);
  });
});

describe('serve at start-up', () => {
  it('serves SWITCHYARD_CONFIG when no --config is given, and names the config, store and port in one line', async () => {
    const dbUrl = await freshStoreUrl('sqlite');
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', dbUrl, '--port', '0'],
      { cwd: REPO, env: { ...process.env, SWITCHYARD_CONFIG: 'examples/demo.yaml', LOG_LEVEL: 'info' } },
    );
    let out = '';
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 30_000);
        child.stdout.on('data', (d) => {
          out += d;
          const found = out.split('\n').find((l) => l.includes('switchyard listening on'));
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
      });
      const msg = (JSON.parse(line) as { msg: string }).msg;
      expect(msg).toMatch(/^switchyard listening on http:\/\/127\.0\.0\.1:\d+ /);
      expect(msg).toContain(`config ${DEMO}`);
      expect(msg).toContain(`store ${dbUrl}`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
