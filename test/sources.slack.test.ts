/**
 * Slack over real HTTP: signed slash commands and button clicks become tasks, acknowledgements
 * and overrides, answered 200 with what was decided; `/who-is-on-call` is answered without
 * storing anything; forgeries, replays and other media types change nothing. The signature
 * check is pinned to Slack's own published example.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Integration } from '../src/config/model.js';
import { slack } from '../src/intake/sources/slack.js';
import { SOURCE_SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

const SECRET = SOURCE_SECRETS.slack;
const HOOK = '/hooks/acme/slack';
const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: slack, type: slack, secrets: ["${SECRET}"] }
    members:
      - { id: alice, capacity: 5, handles: { slack: U0ALICE } }
      - { id: bob, capacity: 5, handles: { slack: U0BOB } }
    teams:
      - id: ops
        name: Operations
        members: [alice, bob]
        onCall:
          layers:
            - { name: primary, members: [bob], every: 1, unit: weeks, handoff: "2020-01-06T09:00" }
      - { id: web, members: [alice] }
    policy:
      fallbackQueue: triage
      routes:
        - { name: alice-first, strategy: least_loaded, members: [alice] }
`;

// Slack's example from "Verifying requests from Slack" (api.slack.com/authentication/verifying-requests-from-slack).
const EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const delivery = (body: string, headers: Record<string, string>) => ({
  body: Buffer.from(body),
  contentType: 'application/x-www-form-urlencoded',
  header: (name: string) => headers[name],
});

describe('Slack adapter', () => {
  const integration = { id: 'slack', type: 'slack', secrets: [{ key: Buffer.from(EXAMPLE.secret) }] } as Integration;
  const headers = { 'x-slack-request-timestamp': EXAMPLE.timestamp, 'x-slack-signature': EXAMPLE.signature };
  const at = (s: number) => new Date((Number(EXAMPLE.timestamp) + s) * 1000);

  it('verifies Slack’s published signature example, within 5 minutes only', () => {
    expect(slack.verify(delivery(EXAMPLE.body, headers), integration, at(10))).toEqual({ ok: true });
    expect(slack.verify(delivery(`${EXAMPLE.body}x`, headers), integration, at(10))).toMatchObject({
      reason: 'bad_signature',
    });
    expect(slack.verify(delivery(EXAMPLE.body, headers), integration, at(301))).toMatchObject({
      reason: 'stale_timestamp',
    });
    expect(slack.verify(delivery(EXAMPLE.body, headers), integration, at(-301))).toMatchObject({
      reason: 'future_timestamp',
    });
    expect(slack.verify(delivery(EXAMPLE.body, {}), integration, at(0))).toMatchObject({ reason: 'missing_headers' });
  });

  it('parses the command form (without the legacy token) and dedupes on trigger_id', () => {
    const parsed = slack.parse(delivery(EXAMPLE.body, headers));
    expect(parsed).toMatchObject({ ok: true, payload: { kind: 'command', command: '/webhook-collect', text: '' } });
    const payload = (parsed as { payload: Record<string, unknown> }).payload;
    expect(payload.token).toBeUndefined();
    expect(slack.dedupeKey(delivery(EXAMPLE.body, headers), payload, integration)).toBe(
      '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
    expect(slack.meta(delivery(EXAMPLE.body, headers))).toEqual({ kind: 'command' });
  });
});

interface SendOptions {
  timestamp?: number;
  contentType?: string;
  tamper?: (body: string) => string;
}

/** Sign the way Slack does: v0=hex(HMAC-SHA256(secret, `v0:<ts>:<body>`)). */
async function send(base: string, body: string, o: SendOptions = {}) {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const res = await fetch(`${base}${HOOK}`, {
    method: 'POST',
    headers: {
      'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
    body: o.tamper ? o.tamper(body) : body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { text: string } };
}

function commandBody(command: string, text: string, trigger = randomUUID()): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0001',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command,
    text,
    response_url: 'https://hooks.slack.com/commands/T0001/1/x',
    trigger_id: trigger,
  }).toString();
}

function buttonBody(action: Record<string, unknown>): string {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0BOB', username: 'bob', team_id: 'T0001' },
    team: { id: 'T0001', domain: 'acme' },
    trigger_id: randomUUID(),
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0001' },
    actions: [{ block_id: 'b1', action_ts: `${Date.now() / 1000}`, ...action }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

for (const kind of STORES) {
  describe(`Slack source over HTTP (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: CONFIG });
    const task = async (externalId: string) => (await t.store.listTasks('acme', { externalId, limit: 1 })).items[0];

    it('`/assign PROJ-1` answers 200 with the assignee and the explanation; a retry answers the same', async () => {
      const body = commandBody('/assign', 'PROJ-1 Checkout returns 502');
      const res = await send(t.base, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(res.body.text).toMatch(/^\*PROJ-1\* _Checkout returns 502_ — assigned to <@U0ALICE> \(alice\)\./);
      const created = (await task('PROJ-1'))!;
      expect(created).toMatchObject({ status: 'assigned', assignee: 'alice', integration: 'slack' });
      expect(created.task).toEqual({ externalId: 'PROJ-1', title: 'Checkout returns 502', reporter: 'U0ALICE' });
      const [decision] = await t.store.listDecisions('acme', created.id);
      expect(res.body.text).toContain(decision!.explanation);

      await waitUntilSettled(t.store);
      const before = await rowCounts(t.store);
      const again = await send(t.base, body);
      expect(again).toEqual(res);
      expect(await rowCounts(t.store)).toEqual(before);
      expect(await t.store.listDecisions('acme', created.id)).toHaveLength(1);
    });

    it('`/assign <free text>` opens a new task keyed by the trigger', async () => {
      const trigger = randomUUID();
      const res = await send(t.base, commandBody('/assign', 'The VPN drops every hour', trigger));
      expect(res.status).toBe(200);
      expect((await task(`slack:T0001:${trigger}`))?.task).toEqual({
        externalId: `slack:T0001:${trigger}`,
        title: 'The VPN drops every hour',
        reporter: 'U0ALICE',
      });
      expect(res.body.text).toMatch(/assigned to <@U0ALICE> \(alice\)/);
    });

    it('`/who-is-on-call` answers at once from the schedule and stores nothing', async () => {
      const before = await rowCounts(t.store);
      const ops = await send(t.base, commandBody('/who-is-on-call', 'ops'));
      expect(ops).toMatchObject({ status: 200, body: { response_type: 'ephemeral' } });
      expect(ops.body.text).toBe('On call for *Operations* now:\n• primary: <@U0BOB> (bob)');
      expect((await send(t.base, commandBody('/who-is-on-call', 'web'))).body.text).toMatch(/no on-call schedule/);
      expect((await send(t.base, commandBody('/who-is-on-call', 'nope'))).body.text).toMatch(/no team `nope`.*`ops`/);
      expect((await send(t.base, commandBody('/assign', '  '))).body.text).toMatch(/^Usage: `\/assign PROJ-123/);
      expect(await rowCounts(t.store)).toEqual(before);
    });

    it('an acknowledge button acknowledges the task; a reassign menu overrides to that member', async () => {
      await send(t.base, commandBody('/assign', 'PROJ-2'));
      const ack = await send(t.base, buttonBody({ action_id: 'acknowledge', type: 'button', value: 'PROJ-2' }));
      expect(ack.status).toBe(200);
      expect(ack.body.text).toMatch(/^\*PROJ-2\* — acknowledged/);
      expect(await task('PROJ-2')).toMatchObject({ status: 'acknowledged', assignee: 'alice' });

      const menu = { action_id: 'reassign', type: 'users_select', block_id: 'PROJ-2', selected_user: 'U0BOB' };
      const moved = await send(t.base, buttonBody(menu));
      expect(moved.body.text).toMatch(/assigned to <@U0BOB> \(bob\)/);
      const row = (await task('PROJ-2'))!;
      expect(row).toMatchObject({ status: 'assigned', assignee: 'bob' });
      expect((await t.store.listDecisions('acme', row.id)).at(-1)).toMatchObject({
        kind: 'override',
        assignee: 'bob',
        actor: 'slack:U0BOB',
        reason: 'reassigned to bob in Slack by bob',
      });

      const stranger = await send(t.base, buttonBody({ ...menu, selected_user: 'U0NOBODY' }));
      expect(stranger.body.text).toMatch(/Nothing to do for PROJ-2: U0NOBODY is not a member/);
      const approve = await send(t.base, buttonBody({ action_id: 'approve', type: 'button', value: 'PROJ-2' }));
      expect(approve.body.text).toBe('Nothing to do for PROJ-2: approvals arrive with workflows');
    });

    it('refuses a stale timestamp, a tampered body and a JSON body: nothing written, counted', async () => {
      await waitUntilSettled(t.store);
      const before = await rowCounts(t.store);
      const body = commandBody('/assign', 'PROJ-9');
      const stale = await send(t.base, body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
      expect(stale).toMatchObject({ status: 401, body: { type: 'urn:switchyard:problem:stale-timestamp' } });
      const tampered = await send(t.base, body, { tamper: (b) => b.replace('PROJ-9', 'PROJ-8') });
      expect(tampered).toMatchObject({ status: 401, body: { type: 'urn:switchyard:problem:bad-signature' } });
      const json = await send(t.base, JSON.stringify({ command: '/assign' }), { contentType: 'application/json' });
      expect(json.status).toBe(415);
      expect(await rowCounts(t.store)).toEqual(before);
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_events_rejected_total\{reason="stale_timestamp"\} 1/);
      expect(metrics).toMatch(/switchyard_events_rejected_total\{reason="bad_signature"\} 1/);
      expect(metrics).toMatch(/switchyard_events_rejected_total\{reason="media_type"\} 1/);
      expect(metrics).toMatch(/switchyard_events_duplicate_total\{tenant="acme",integration="slack"\} 1/);
    });
  });
}
