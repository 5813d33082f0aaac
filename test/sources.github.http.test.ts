/**
 * GitHub over real HTTP: GitHub's own example payloads, signed with GitHub's own library
 * (@octokit/webhooks-methods, not our code), become tasks, closes, overrides and ignored
 * pings; replays and forgeries change nothing.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { SOURCE_SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer, waitFor, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

type Example = Record<string, unknown> & { action?: string };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Example[];
}[];
const example = (name: string, action?: string): Example =>
  structuredClone(examples.find((d) => d.name === name)!.examples.find((e) => e.action === action)!);

const SECRET = SOURCE_SECRETS.github;
const HOOK = '/hooks/acme/gh';
// coder (Codertocat, the examples' author and assignee) takes one task at a time: the
// backlog shows when a close frees it.
const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: gh, type: github, secrets: ["${SECRET}"] }
    members:
      - { id: coder, capacity: 1, handles: { github: Codertocat } }
      - { id: octo, capacity: 5, handles: { github: octocat } }
    policy:
      fallbackQueue: triage
      routes:
        - { name: coder-only, strategy: least_loaded, members: [coder] }
`;

/** An issues example for issue `number`; GitHub publishes no issues.closed, so it is made from opened. */
function issueEvent(action: string, number: number, assignee?: string): Example {
  const ex = example('issues', action === 'closed' ? 'opened' : action);
  const issue = ex.issue as Record<string, unknown>;
  Object.assign(issue, { number, html_url: `https://github.com/Codertocat/Hello-World/issues/${number}` });
  if (action === 'closed') {
    ex.action = 'closed';
    Object.assign(issue, { state: 'closed', state_reason: 'completed' });
  }
  if (assignee) (ex.assignee as { login: string }).login = assignee;
  return ex;
}

interface DeliverOptions {
  delivery?: string;
  secret?: string;
  form?: boolean;
  omit?: string[];
  /** Change the body after signing. */
  tamper?: (body: string) => string;
}

async function deliver(base: string, event: string, payload: unknown, o: DeliverOptions = {}) {
  const json = JSON.stringify(payload);
  const body = o.form ? new URLSearchParams({ payload: json }).toString() : json;
  const headers: Record<string, string> = {
    'content-type': o.form ? 'application/x-www-form-urlencoded' : 'application/json',
    'user-agent': 'GitHub-Hookshot/044aadd',
    'x-github-event': event,
    'x-github-delivery': o.delivery ?? randomUUID(),
    'x-github-hook-id': '109948940',
    'x-hub-signature-256': await sign(o.secret ?? SECRET, body),
  };
  for (const name of o.omit ?? []) delete headers[name];
  const res = await fetch(`${base}${HOOK}`, { method: 'POST', headers, body: o.tamper ? o.tamper(body) : body });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as never };
}

for (const kind of STORES) {
  describe(`GitHub source over HTTP (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: CONFIG });

    const post = async (event: string, payload: unknown, o: DeliverOptions = {}) => {
      const res = await deliver(t.base, event, payload, o);
      await waitUntilSettled(t.store);
      return res;
    };
    const task = async (number: number) =>
      (await t.store.listTasks('acme', { externalId: `Codertocat/Hello-World#${number}`, limit: 1 })).items[0];
    const load = async () => (await t.store.readSnapshot('acme')).load.coder ?? 0;

    it('an issues.opened signed by GitHub’s library becomes the canonical Task; a replay is a duplicate', async () => {
      const delivery = randomUUID();
      const payload = issueEvent('opened', 101);
      const first = await post('issues', payload, { delivery });
      expect(first).toMatchObject({ status: 202, body: { status: 'accepted' } });
      expect((await task(101))?.task).toEqual({
        externalId: 'Codertocat/Hello-World#101',
        title: 'Spelling error in the README file',
        type: 'issue',
        labels: ['bug'],
        component: 'Hello-World',
        reporter: 'Codertocat',
        url: 'https://github.com/Codertocat/Hello-World/issues/101',
        requestedAssignee: 'coder',
      });
      expect(await task(101)).toMatchObject({ status: 'assigned', assignee: 'coder', integration: 'gh' });

      const before = await rowCounts(t.store);
      const replay = await post('issues', payload, { delivery });
      expect(replay).toEqual({
        status: 200,
        contentType: expect.stringMatching(/^application\/json/),
        body: { status: 'duplicate', eventId: (first.body as { eventId: string }).eventId },
      });
      expect(await rowCounts(t.store)).toEqual(before);
      expect(await (await fetch(`${t.base}/metrics`)).text()).toMatch(
        /switchyard_events_duplicate_total\{tenant="acme",integration="gh"\} 1/,
      );
    });

    it('refuses a tampered body, a wrong secret and missing headers: 401, nothing written, counted', async () => {
      const before = await rowCounts(t.store);
      const payload = issueEvent('opened', 199);
      const cases: [DeliverOptions, string, RegExp][] = [
        [{ tamper: (b) => b.replace('Spelling', 'SpellinG') }, 'bad-signature', /X-Hub-Signature-256/],
        [{ secret: 'not-the-webhook-secret-000' }, 'bad-signature', /active secret/],
        [{ omit: ['x-hub-signature-256'] }, 'missing-headers', /X-Hub-Signature-256 header\. .*Secret/],
        [{ omit: ['x-github-delivery'] }, 'missing-headers', /needs the X-GitHub-Delivery header/],
      ];
      for (const [options, type, detail] of cases) {
        const res = await deliver(t.base, 'issues', payload, options);
        expect(res.status).toBe(401);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status: 401 });
        expect((res.body as { detail: string }).detail).toMatch(detail);
      }
      expect(await rowCounts(t.store)).toEqual(before);
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_events_rejected_total\{reason="bad_signature"\} 2/);
      expect(metrics).toMatch(/switchyard_events_rejected_total\{reason="missing_headers"\} 2/);
    });

    it('issues.closed closes the task and frees its assignee; a queued task gets the capacity', async () => {
      expect(await load()).toBe(1);
      await post('issues', issueEvent('closed', 101));
      expect(await task(101)).toMatchObject({ status: 'closed' });
      expect(await load()).toBe(0);

      await post('issues', issueEvent('opened', 102));
      await post('issues', issueEvent('opened', 103));
      expect(await task(102)).toMatchObject({ status: 'assigned', assignee: 'coder' });
      expect(await task(103)).toMatchObject({ status: 'queued', queue: 'triage' });

      await post('issues', issueEvent('closed', 102));
      expect(await task(102)).toMatchObject({ status: 'closed' });
      // The backlog drains right after the close's batch commits, not inside it: wait for it (bounded).
      const drained = await waitFor(
        async () => {
          const t103 = await task(103);
          return t103?.status === 'assigned' ? t103 : undefined;
        },
        20_000,
        'the backlog to give #103 the freed capacity',
      );
      expect(drained).toMatchObject({ status: 'assigned', assignee: 'coder' });
      expect(await load()).toBe(1);
      const decisions = await t.store.listDecisions('acme', drained.id);
      expect(decisions.map((d) => [d.outcome, d.eventId === null])).toEqual([
        ['queued', false],
        ['assigned', true],
      ]);
    });

    it('issues.assigned to a member’s login is an override; unassigned hands it back only from its holder', async () => {
      await post('issues', issueEvent('opened', 104));
      expect(await task(104)).toMatchObject({ status: 'queued', assignee: null });

      await post('issues', issueEvent('assigned', 104));
      const assigned = (await task(104))!;
      expect(assigned).toMatchObject({ assignee: 'coder' });
      const override = (await t.store.listDecisions('acme', assigned.id)).at(-1);
      expect(override).toMatchObject({
        kind: 'override',
        assignee: 'coder',
        actor: 'github:Codertocat',
        reason: 'assigned to Codertocat on GitHub',
      });

      const stranger = await post('issues', issueEvent('assigned', 104, 'stranger'));
      const ignored = await t.store.getEvent('acme', (stranger.body as { eventId: string }).eventId);
      expect(ignored).toMatchObject({ status: 'ignored', error: expect.stringMatching(/^stranger is not a member/) });

      // octo is a member but does not hold it here: nothing changes.
      const notHolder = await post('issues', issueEvent('unassigned', 104, 'octocat'));
      expect(await t.store.getEvent('acme', (notHolder.body as { eventId: string }).eventId)).toMatchObject({
        status: 'ignored',
        error: 'Codertocat/Hello-World#104 is assigned to coder, not octo: nothing to unassign',
      });
      expect(await task(104)).toMatchObject({ assignee: 'coder' });

      await post('issues', issueEvent('unassigned', 104));
      expect(await task(104)).toMatchObject({ status: 'queued', assignee: null, queue: 'triage' });
      expect((await t.store.listDecisions('acme', assigned.id)).at(-1)).toMatchObject({
        kind: 'override',
        assignee: null,
        reason: 'Codertocat unassigned on GitHub',
      });
    });

    it('a form-encoded delivery (GitHub’s other content type) is verified over the form bytes and routed', async () => {
      const res = await post('pull_request', example('pull_request', 'opened'), { form: true });
      expect(res.status).toBe(202);
      expect((await task(2))?.task).toMatchObject({
        externalId: 'Codertocat/Hello-World#2',
        type: 'pull_request',
        title: 'Update the README with new information.',
        url: 'https://github.com/Codertocat/Hello-World/pull/2',
      });
    });

    it('a ping is stored as an ignored event with its zen as the reason', async () => {
      const ping = example('ping');
      const res = await post('ping', ping);
      expect(res.status).toBe(202);
      const eventId = (res.body as { eventId: string }).eventId;
      const reason = expect.stringMatching(new RegExp(`^ping: ${ping.zen}`));
      expect(await t.store.getEvent('acme', eventId)).toMatchObject({ status: 'ignored', error: reason });
      const { key } = await createApiKey(t.store, 'acme', 'test');
      const api = await fetch(`${t.base}/api/v1/events/${eventId}`, { headers: { authorization: `Bearer ${key}` } });
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject({ id: eventId, status: 'ignored', error: reason, taskId: null });
    });
  });
}
