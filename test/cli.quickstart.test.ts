/**
 * The README quickstart, as a newcomer runs it: serve the demo config, `switchyard send` the
 * sample events, `switchyard tasks` shows who got each and why, an API key finds a task by
 * its source key. Uses the real CLI in child processes.
 */
import { describe, expect, it } from 'vitest';
import { REPO, runCli, useChildServer } from './support/cli.js';
import { waitUntilSettled } from './support/server.js';

const DEMO = `${REPO}/examples/demo.yaml`;
const EVENTS = [
  'checkout-outage',
  'api-latency',
  'enterprise-question',
  'requested-assignee',
  'unrouted',
  'not-a-task',
].map((e) => `examples/events/${e}.json`);

describe('README quickstart on the demo config', () => {
  const h = useChildServer(DEMO);

  it('send signs and posts every sample event', async () => {
    const sent = await runCli(['send', ...EVENTS, '--config', DEMO, '--url', h.server.base]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout.match(/→ 202 /g)).toHaveLength(EVENTS.length);
    await waitUntilSettled(h.store);
  });

  it('tasks shows who got each task and why', async () => {
    const out = await runCli(['tasks', '--db', h.dbUrl]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/SUP-1042 {2}→ alice {2}\[payments-urgent\]/);
    expect(out.stdout).toMatch(/SUP-1043 {2}→ carol {2}\[platform\]/);
    expect(out.stdout).toMatch(/SUP-1044 {2}→ erin {2}\[enterprise\]/);
    expect(out.stdout).toMatch(/SUP-1045 {2}→ dave {2}\[requested\]/);
    expect(out.stdout).toMatch(/SUP-1046 {2}⏸ queue triage {2}\[fallback\]/);
    expect(out.stdout).toContain('fewest open tasks');
  });

  it('the event that is not a task is in the dead letters with its reason', async () => {
    const letters = await h.store.listDeadLetters('acme', 10);
    expect(letters.items).toHaveLength(1);
    expect(letters.items[0]?.reason).toMatch(/externalId/);
  });

  it('keys create prints a key that finds a task by its source key over the API', async () => {
    const created = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'quickstart', '--db', h.dbUrl]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sy_/);
    const res = await fetch(`${h.server.base}/api/v1/tasks?externalId=SUP-1042`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as { items: { assignee: string; decision: { explanation: string } }[] };
    expect(body.items[0]?.assignee).toBe('alice');
    expect(body.items[0]?.decision.explanation).toMatch(/^Assigned to Alice Moreau \(alice\)/);
  });

  it('audit verify confirms the chain the demo wrote', async () => {
    const out = await runCli(['audit', 'verify', '--db', h.dbUrl]);
    // 6 decisions and dead letters, after the policy version the server recorded and activated at boot.
    expect(out.stdout).toMatch(/ok\s+acme: 8 entries, chain intact/);
    expect(out.code).toBe(0);
  });
});
