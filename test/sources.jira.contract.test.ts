/**
 * Contract: each Jira Cloud sample in the documented shape (test/fixtures/jira) normalises to
 * the action it should, with a valid Task; the variations Jira sends (done statuses,
 * unassignment, unknown accounts, other events) each to a definite action or a reason. Then
 * the samples go through the real intake and pipeline on each store.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { Tenant } from '../src/config/model.js';
import { jira, jiraBodyDedupeKey } from '../src/intake/sources/jira.js';
import { normalizeJira, priorityFromJira } from '../src/pipeline/sources/jira.js';
import type { SourceAction } from '../src/pipeline/sources/types.js';
import { validateTaskShape } from '../src/pipeline/task-shape.js';
import { deliverJira, JIRA_SAMPLES, type JiraBody, jiraSample } from './support/jira.js';
import { SOURCE_SECRETS } from './support/secrets.js';
import { useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

const SECRET = SOURCE_SECRETS.jira;
const ALICE = '5b10a2844c20165700ede21g';
const BOB = '712020:4f2c8b1e-9d3a-4c57-b1e0-6a2f9c3d7e15';
const DANA = '557058:0d1f2e3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const JIRA_CONFIG = `
tenants:
  - id: acme
    integrations:
      - id: jira
        type: jira
        secrets: ["${SECRET}"]
        fields: { customerTier: customfield_10042, dueAt: duedate }
      - { id: plain, type: jira, secrets: ["${SECRET}"] }
      - id: shaped
        type: jira
        secrets: ["${SECRET}"]
        transform: '$merge([$task, { "title": "[" & $event & "] " & issue.fields.summary, "labels": ["from-transform"] }])'
    members:
      - { id: alice, capacity: 3, handles: { jira: "${ALICE}" } }
      - { id: bob, capacity: 3, handles: { jira: "${BOB}" } }
    policy:
      fallbackQueue: triage
      routes:
        - { name: requested, when: { field: requestedAssignee, in: [alice, bob] }, strategy: direct }
        - { name: everyone, strategy: least_loaded, members: [alice, bob] }
`;

const tenant = parseConfig(JIRA_CONFIG, 'jira.yaml', {}).tenants.get('acme') as Tenant;

async function normalize(payload: unknown, integration = 'jira') {
  return normalizeJira({
    integration: tenant.integrations.get(integration)!,
    payload,
    meta: {},
    roster: tenant.roster,
  });
}
async function actionOf(payload: unknown, integration = 'jira'): Promise<SourceAction> {
  const result = await normalize(payload, integration);
  if (!result.ok) throw new Error(result.reason);
  return result.action;
}
const done = (body: JiraBody) => {
  body.issue.fields.status = { name: 'Done', id: '10002', statusCategory: { id: 3, key: 'done', name: 'Done' } };
  return body;
};

describe('Jira samples → source actions', () => {
  it('jira:issue_created upserts the built-in Task, custom fields by configured id', async () => {
    const action = await actionOf(jiraSample('issue_created'));
    expect(action).toEqual({
      kind: 'upsert',
      task: {
        externalId: 'OPS-17',
        title: 'Checkout fails with 502 for card payments',
        type: 'bug',
        priority: 2,
        labels: ['payments', 'checkout'],
        component: 'Checkout',
        reporter: DANA,
        customerTier: 'Enterprise',
        dueAt: '2025-12-05T23:59:59.999Z',
        requestedAssignee: 'alice',
        url: 'https://acme-example.atlassian.net/browse/OPS-17',
      },
    });
    const checked = validateTaskShape((action as { task: object }).task);
    expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true);
  });

  it('every sample is a definite action with a valid Task', async () => {
    const kinds = await Promise.all(JIRA_SAMPLES.map(async (name) => (await actionOf(jiraSample(name))).kind));
    expect(kinds).toEqual(['upsert', 'upsert', 'override', 'close']);
    for (const name of JIRA_SAMPLES) {
      const action = await actionOf(jiraSample(name));
      if (action.kind === 'upsert') expect(validateTaskShape(action.task).ok).toBe(true);
    }
  });

  it('a priority change refreshes the fields (priority 1), nothing else', async () => {
    const action = await actionOf(jiraSample('issue_updated.priority'));
    expect(action).toMatchObject({
      kind: 'upsert',
      task: { externalId: 'OPS-17', priority: 1, component: 'Checkout' },
    });
  });

  it('an assignee change by a person is an override to the member with that handles.jira', async () => {
    expect(await actionOf(jiraSample('issue_updated.assignee'))).toEqual({
      kind: 'override',
      externalId: 'OPS-17',
      assignee: 'bob',
      actor: `jira:${ALICE}`,
      reason: 'assigned to Bob Ngata on Jira by Alice Moreau',
    });
  });

  it('an assignment to an account no member has is ignored with the reason', async () => {
    const body = jiraSample('issue_updated.assignee');
    Object.assign(body.changelog!.items[0]!, { to: DANA, toString: 'Dana Kowalski', tmpToAccountId: DANA });
    expect(await actionOf(body)).toEqual({
      kind: 'ignore',
      reason: `OPS-17 was assigned on Jira to Dana Kowalski, who is not a member (no handles.jira: ${DANA})`,
    });
  });

  it('unassigning a member sends the task back only while that member holds it', async () => {
    const body = jiraSample('issue_updated.assignee');
    Object.assign(body.changelog!.items[0]!, { to: null, toString: null, tmpToAccountId: null });
    body.issue.fields.assignee = null;
    expect(await actionOf(body)).toMatchObject({ kind: 'override', assignee: null, ifAssignedTo: 'alice' });
    Object.assign(body.changelog!.items[0]!, { from: DANA, fromString: 'Dana Kowalski', tmpFromAccountId: DANA });
    expect(await actionOf(body)).toMatchObject({ kind: 'ignore', reason: expect.stringMatching(/not a member/) });
  });

  it('an assignee change Jira names no user for is not a person’s override: the fields refresh', async () => {
    const body = jiraSample('issue_updated.assignee');
    delete body.user;
    expect(await actionOf(body)).toMatchObject({ kind: 'upsert', task: { requestedAssignee: 'bob' } });
  });

  it('an update of an issue in a done status closes it, even one that also reassigns', async () => {
    expect(await actionOf(done(jiraSample('issue_updated.priority')))).toEqual({
      kind: 'close',
      externalId: 'OPS-17',
      how: 'close',
      reason: 'Done on Jira (by Dana Kowalski)',
    });
    expect((await actionOf(done(jiraSample('issue_updated.assignee')))).kind).toBe('close');
    expect(await actionOf(done(jiraSample('issue_created')))).toMatchObject({ kind: 'ignore' });
  });

  it('jira:issue_deleted cancels', async () => {
    expect(await actionOf(jiraSample('issue_deleted'))).toEqual({
      kind: 'close',
      externalId: 'OPS-17',
      how: 'cancel',
      reason: 'deleted on Jira by Dana Kowalski',
    });
  });

  it('other events are ignored with their name; a body that is no issue event is refused with the reason', async () => {
    const comment = { ...jiraSample('issue_created'), webhookEvent: 'comment_created' };
    expect(await actionOf(comment)).toMatchObject({
      kind: 'ignore',
      reason: expect.stringMatching(/^comment_created/),
    });
    expect(await normalize({ hello: 'world' })).toEqual({ ok: false, reason: expect.stringMatching(/webhookEvent/) });
    const keyless = jiraSample('issue_created');
    delete (keyless.issue as Partial<JiraBody['issue']>).key;
    expect(await normalize(keyless)).toEqual({ ok: false, reason: 'the jira:issue_created payload has no issue.key' });
  });

  it('maps Jira priority names onto 1–5; unknown ones stay unset', () => {
    const names = ['Highest', 'High', 'Medium', 'Low', 'Lowest', 'Blocker', 'Minor', 'Urgent!'];
    expect(names.map((name) => priorityFromJira({ name, id: '9' }))).toEqual([1, 2, 3, 4, 5, 1, 4, undefined]);
    // Atlassian's documented example sends the priority as a plain string.
    expect([priorityFromJira('Minor'), priorityFromJira('P2'), priorityFromJira(3), priorityFromJira(null)]).toEqual([
      4,
      2,
      3,
      undefined,
    ]);
  });

  it('without a fields option only the built-in mapping applies; the browse URL survives any REST path', async () => {
    const body = jiraSample('issue_created');
    body.issue.self = 'https://acme-example.atlassian.net/rest/api/2/10042';
    const action = await actionOf(body, 'plain');
    expect(action).toMatchObject({ task: { url: 'https://acme-example.atlassian.net/browse/OPS-17' } });
    expect((action as { task: object }).task).not.toHaveProperty('customerTier');
    expect((action as { task: object }).task).not.toHaveProperty('dueAt');
  });

  it('a transform replaces the mapping, with $event and the built-in $task bound', async () => {
    const action = await actionOf(jiraSample('issue_updated.priority'), 'shaped');
    expect(action).toMatchObject({
      kind: 'upsert',
      task: {
        title: '[jira:issue_updated] Checkout fails with 502 for card payments',
        priority: 1,
        labels: ['from-transform'],
      },
    });
  });
});

describe('Jira intake adapter', () => {
  const delivery = (headers: Record<string, string>) => ({
    body: Buffer.from('{}'),
    contentType: 'application/json',
    header: (name: string) => headers[name],
  });

  it('dedupes on X-Atlassian-Webhook-Identifier, else on the webhookEvent, issue id and timestamp of the body', () => {
    const body = jiraSample('issue_created');
    expect(
      jira.dedupeKey(delivery({ 'x-atlassian-webhook-identifier': '8f2c' }), body, tenant.integrations.get('jira')!),
    ).toBe('8f2c');
    expect(jira.dedupeKey(delivery({}), body, tenant.integrations.get('jira')!)).toBe(
      'jira:issue_created:10042:1764579600123',
    );
    expect(jiraBodyDedupeKey({ webhookEvent: 'jira:issue_created' })).toBeUndefined();
  });

  it('keeps the identifier, flow and retry headers with the event', () => {
    const headers = {
      'x-atlassian-webhook-identifier': '8f2c',
      'x-atlassian-webhook-flow': 'Primary',
      'x-atlassian-webhook-retry': '2',
    };
    expect(jira.meta(delivery(headers))).toEqual({ identifier: '8f2c', flow: 'Primary', retry: '2' });
  });
});

describe('Jira config', () => {
  const withPlain = (type: string, fields: string) =>
    JIRA_CONFIG.replace(
      / {6}- \{ id: plain.*\n/,
      `      - { id: plain, type: ${type}, secrets: ["${SECRET}"], fields: ${fields} }\n`,
    );

  it.each([
    ['jira', '{ owner: customfield_1 }', /"owner" is not a Task field Jira can fill/],
    ['jira', '{ dueAt: "due date" }', /"due date" is not a Jira field id/],
    ['github', '{ dueAt: duedate }', /fields maps Jira field ids; a github integration has none/],
  ])('a %s integration with fields %s is refused', (type, fields, message) => {
    expect(() => parseConfig(withPlain(type, fields), 'jira.yaml', {})).toThrow(message);
  });
});

for (const kind of STORES) {
  describe(`Jira samples through intake and pipeline (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: JIRA_CONFIG });

    it('the life of OPS-17 ends each event the way its action says', async () => {
      const outcomes: [string | null, string | null][] = [];
      for (const name of JIRA_SAMPLES) {
        const res = await deliverJira(`${t.base}/hooks/acme/jira`, jiraSample(name), SECRET);
        expect(res.status).toBe(202);
        await waitUntilSettled(t.store);
        const event = await t.store.getEvent('acme', res.body.eventId as string);
        outcomes.push([event?.status ?? null, event?.error ?? null]);
      }
      expect(outcomes.map(([status]) => status)).toEqual(['decided', 'merged', 'applied', 'applied']);
      const task = (await t.store.listTasks('acme', { externalId: 'OPS-17', limit: 1 })).items[0];
      expect(task).toMatchObject({ status: 'cancelled', assignee: 'bob', priority: 1, integration: 'jira' });
    });
  });
}
