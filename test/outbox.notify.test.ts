/**
 * Slack, Jira and GitHub through the outbox, over real HTTP to one fake API: an assignment
 * from a GitHub issue assigns and comments there, one from Jira sets the assignee and
 * comments, Slack DMs the assignee with the explanation and buttons; every request carries
 * the row's stable Idempotency-Key; 502 is retried, Slack's channel_not_found and a member
 * without a handle are dead at once; tokens never show in errors or dead letters.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRequest, type FakeApi, startFakeApi } from './support/fake-api.js';
import { deliverJira, jiraSample, withIssue } from './support/jira.js';
import { SECRETS, SOURCE_SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

const TOKENS = {
  SY_TEST_SLACK_TOKEN: 'xoxb-slack-token-never-logged',
  SY_TEST_JIRA_TOKEN: 'jira-api-token-never-logged',
  SY_TEST_GITHUB_TOKEN: 'ghp_github-token-never-logged',
};
Object.assign(process.env, TOKENS);
const GH_SECRET = SOURCE_SECRETS.github;
const JIRA_SECRET = SOURCE_SECRETS.jira;

const config = (api: string) => `
tenants:
  - id: acme
    integrations:
      - { id: gh, type: github, secrets: ["${GH_SECRET}"] }
      - { id: jr, type: jira, secrets: ["${JIRA_SECRET}"] }
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: alice, capacity: 1000, handles: { slack: U01ALICE, jira: "557058:alice", github: alice-gh } }
      - { id: nohandle, capacity: 1000 }
    policy:
      fallbackQueue: triage
      routes:
        - { name: orphans, when: { field: title, matches: "^orphan" }, strategy: direct, assignee: nohandle }
        - { name: everyone, strategy: direct, assignee: alice }
    notify:
      slack: { botToken: "\${env:SY_TEST_SLACK_TOKEN}", apiUrl: "${api}/slack/api" }
      jira: { siteUrl: "${api}/jira", email: bot@acme.example, apiToken: "\${env:SY_TEST_JIRA_TOKEN}" }
      github: { token: "\${env:SY_TEST_GITHUB_TOKEN}", apiUrl: "${api}/github" }
`;

type Example = Record<string, unknown>;
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: (Example & { action?: string })[];
}[];
function issueOpened(number: number, title: string): Example {
  const ex = structuredClone(examples.find((d) => d.name === 'issues')!.examples.find((e) => e.action === 'opened')!);
  Object.assign(ex.issue as Example, { number, title, assignee: null, assignees: [] });
  return ex;
}

/** Per test: answers for requests whose body or path contains a marker; the default is success. */
const overrides: ((r: ApiRequest) => ReturnType<Parameters<typeof startFakeApi>[0]> | undefined)[] = [];
function answer(r: ApiRequest) {
  for (const o of overrides) {
    const a = o(r);
    if (a) return a;
  }
  if (r.path.startsWith('/slack/')) return { status: 200, json: { ok: true, ts: '1.2' } };
  if (r.method === 'GET') return { status: 200, json: r.path.startsWith('/jira/') ? { comments: [] } : [] };
  return r.method === 'PUT' ? { status: 204 } : { status: 201, json: { id: '1' } };
}

for (const kind of STORES) {
  describe(`outbox notify targets (${kind})`, () => {
    let api: FakeApi;
    beforeAll(async () => {
      api = await startFakeApi(answer);
    });
    afterAll(async () => {
      await api?.close();
    });
    // Started after the fake API, whose address its config names; closed before it.
    const { server: t, api: switchyard } = useTestServer(kind, () => ({
      configYaml: config(api.base),
      outboxOptions: { pollMs: 10, retry: { baseMs: 1, capMs: 20 } },
    }));

    const rows = (externalId: string) =>
      t.store.db
        .selectFrom('outbox')
        .innerJoin('tasks', (j) =>
          j
            .onRef('tasks.tenant_id', '=', 'outbox.tenant_id')
            .onRef('tasks.current_decision_id', '=', 'outbox.decision_id'),
        )
        .selectAll('outbox')
        .where('tasks.external_id', '=', externalId)
        .execute();
    const settled = (externalId: string, target: string) =>
      waitFor(
        async () => (await rows(externalId)).find((r) => r.target === target && r.status !== 'pending'),
        10_000,
        `the ${target} row of ${externalId} settled`,
      );
    const requests = (prefix: string) => api.received.filter((r) => r.path.startsWith(prefix));
    const noTokens = (text: string) => {
      for (const token of Object.values(TOKENS)) expect(text).not.toContain(token);
    };

    async function github(number: number, title: string) {
      const body = JSON.stringify(issueOpened(number, title));
      const res = await fetch(`${t.base}/hooks/acme/gh`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': await sign(GH_SECRET, body),
        },
        body,
      });
      expect(res.status).toBe(202);
      return `Codertocat/Hello-World#${number}`;
    }

    it('a GitHub issue: assignee + comment with the hidden key, one stable Idempotency-Key, after a 502', async () => {
      const n = 7000 + Math.floor(Math.random() * 1000);
      let comments = 0;
      overrides.push((r) =>
        r.path.endsWith(`/issues/${n}/comments`) && r.method === 'POST' && ++comments === 1
          ? { status: 502 }
          : undefined,
      );
      const externalId = await github(n, 'Login page is broken');
      const row = await settled(externalId, 'github');
      expect(row.status).toBe('delivered');
      expect(row.attempts).toBe(2);
      const sent = requests(`/github/repos/Codertocat/Hello-World/issues/${n}/`);
      const assignees = sent.filter((r) => r.path.endsWith('/assignees'));
      expect(assignees).toHaveLength(2);
      expect(JSON.parse(assignees[0]!.body)).toEqual({ assignees: ['alice-gh'] });
      expect(assignees[0]!.headers.authorization).toBe(`Bearer ${TOKENS.SY_TEST_GITHUB_TOKEN}`);
      const posted = sent.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'));
      expect(posted).toHaveLength(2); // the 502, then the one that landed
      const body = JSON.parse(posted[1]!.body) as { body: string };
      expect(body.body).toContain(`<!-- switchyard:${row.idempotency_key} -->`);
      expect(body.body).toContain('named by the route');
      expect(sent.some((r) => r.method === 'GET')).toBe(true); // the retry looked for its comment first
      expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([row.idempotency_key]));
      expect(row.idempotency_key).toBe(`${row.decision_id}:github:task.assigned`);
      // Not from Jira: no Jira row; Slack DMs alice.
      expect((await rows(externalId)).map((r) => r.target).sort()).toEqual(['github', 'slack', 'subscribers']);
    });

    it('a Jira issue: assignee PUT with the account id, then a comment in ADF carrying the key', async () => {
      const n = 8000 + Math.floor(Math.random() * 1000);
      const issue = withIssue(jiraSample('issue_created'), n);
      (issue.issue.fields as Record<string, unknown>).assignee = null;
      (issue.issue.fields as Record<string, unknown>).summary = 'Payments time out';
      expect((await deliverJira(`${t.base}/hooks/acme/jr`, issue, JIRA_SECRET)).status).toBe(202);
      const row = await settled(`OPS-${n}`, 'jira');
      expect(row.status).toBe('delivered');
      const sent = requests(`/jira/rest/api/3/issue/OPS-${n}/`);
      expect(sent.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
        `PUT /jira/rest/api/3/issue/OPS-${n}/assignee`,
        `POST /jira/rest/api/3/issue/OPS-${n}/comment`,
      ]);
      expect(JSON.parse(sent[0]!.body)).toEqual({ accountId: '557058:alice' });
      const basic = Buffer.from(`bot@acme.example:${TOKENS.SY_TEST_JIRA_TOKEN}`).toString('base64');
      expect(sent[0]!.headers.authorization).toBe(`Basic ${basic}`);
      const comment = JSON.parse(sent[1]!.body) as { body: { type: string }; properties: { value: unknown }[] };
      expect(comment.body.type).toBe('doc');
      expect(JSON.stringify(comment.body)).toContain('named by the route');
      expect(comment.properties[0]!.value).toMatchObject({ idempotencyKey: row.idempotency_key });
      expect(sent.every((r) => r.headers['idempotency-key'] === row.idempotency_key)).toBe(true);
    });

    it('Slack: a DM to the assignee with the explanation, Acknowledge/Reassign and the key in metadata', async () => {
      const externalId = `SL-${randomUUID().slice(0, 8)}`;
      expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId }))).status).toBe(202);
      const row = await settled(externalId, 'slack');
      expect(row.status).toBe('delivered');
      const msg = requests('/slack/api/chat.postMessage').find((r) => r.body.includes(externalId))!;
      expect(msg.headers.authorization).toBe(`Bearer ${TOKENS.SY_TEST_SLACK_TOKEN}`);
      expect(msg.headers['idempotency-key']).toBe(row.idempotency_key);
      const body = JSON.parse(msg.body) as {
        channel: string;
        blocks: { type: string; elements?: { action_id: string; value?: string }[] }[];
        metadata: { event_type: string; event_payload: { idempotencyKey: string } };
      };
      expect(body.channel).toBe('U01ALICE');
      expect(JSON.stringify(body.blocks)).toContain('named by the route');
      const actions = body.blocks.find((b) => b.type === 'actions')!.elements!;
      expect(actions.map((a) => a.action_id)).toEqual(['acknowledge', 'reassign']);
      expect(actions[0]!.value).toBe(externalId);
      expect(body.metadata).toEqual({
        event_type: 'switchyard_task',
        event_payload: { idempotencyKey: row.idempotency_key, taskKey: externalId },
      });
      // A generic task: neither Jira nor GitHub is told.
      expect((await rows(externalId)).map((r) => r.target).sort()).toEqual(['slack', 'subscribers']);
    });

    it('Slack {ok:false, error:channel_not_found} is dead after one attempt, the reason kept, no token', async () => {
      const externalId = `SL-${randomUUID().slice(0, 8)}`;
      overrides.push((r) =>
        r.body.includes(externalId) ? { status: 200, json: { ok: false, error: 'channel_not_found' } } : undefined,
      );
      expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId }))).status).toBe(202);
      const row = await settled(externalId, 'slack');
      expect(row.status).toBe('dead');
      expect(row.attempts).toBe(1);
      const dead = await t.store.db.selectFrom('dead_letters').selectAll().where('ref_id', '=', row.id).execute();
      expect(dead).toHaveLength(1);
      expect(dead[0]!.reason).toContain('channel_not_found');
      noTokens(`${dead[0]!.reason} ${row.last_error}`);
    });

    it('a member without a GitHub handle: a permanent dead letter naming the missing handle', async () => {
      const n = 9000 + Math.floor(Math.random() * 1000);
      const externalId = await github(n, 'orphan: nobody has a login');
      const row = await settled(externalId, 'github');
      expect(row.status).toBe('dead');
      expect(row.attempts).toBe(1);
      const dead = await t.store.db.selectFrom('dead_letters').selectAll().where('ref_id', '=', row.id).execute();
      expect(dead[0]!.reason).toMatch(/member nohandle has no GitHub handle/);
      noTokens(dead[0]!.reason);
      expect(requests(`/github/repos/Codertocat/Hello-World/issues/${n}/`)).toHaveLength(0);
      // No Slack handle and no channel: no Slack row at all.
      expect((await rows(externalId)).map((r) => r.target).sort()).toEqual(['github', 'subscribers']);
    });

    it('a reassignment through the API tells GitHub and Slack (topic task.reassigned)', async () => {
      const n = 6000 + Math.floor(Math.random() * 1000);
      const externalId = await github(n, 'orphan: reassigned later');
      await settled(externalId, 'github');
      const task = (await t.store.listTasks('acme', { externalId, limit: 1 })).items[0]!;
      const res = await switchyard(`/tasks/${task.id}/reassign`, {
        assignee: 'alice',
        reason: 'she knows the login code',
      });
      expect(res.status).toBe(200);
      const row = await settled(externalId, 'github');
      expect(row).toMatchObject({ status: 'delivered', topic: 'task.reassigned' });
      const sent = requests(`/github/repos/Codertocat/Hello-World/issues/${n}/`);
      expect(JSON.parse(sent.find((r) => r.path.endsWith('/comments'))!.body).body).toContain(
        'she knows the login code',
      );
      expect((await rows(externalId)).map((r) => `${r.target} ${r.topic}`).sort()).toEqual([
        'github task.reassigned',
        'slack task.reassigned',
        'subscribers task.reassigned',
      ]);
    });

    it('every error the outbox recorded is free of tokens', async () => {
      const all = await t.store.db.selectFrom('outbox').select('last_error').execute();
      const dead = await t.store.db.selectFrom('dead_letters').select('reason').execute();
      noTokens(JSON.stringify([all, dead]));
    });
  });
}
