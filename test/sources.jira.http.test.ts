/**
 * Jira Cloud over real HTTP: the documented samples, signed as Jira signs admin webhooks with
 * a Secret (test/support/jira.ts; Jira has no official signing library, so node:crypto),
 * become tasks, field refreshes, overrides and cancellations; retries and forgeries change nothing.
 */
import { describe, expect, it } from 'vitest';
import { deliverJira, type JiraDeliverOptions, type JiraSample, jiraSample, withIssue } from './support/jira.js';
import { SOURCE_SECRETS } from './support/secrets.js';
import { rowCounts, useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

const SECRET = SOURCE_SECRETS.jira;
const ROTATED = SOURCE_SECRETS.jiraRotated;
const ALICE = '5b10a2844c20165700ede21g';
const BOB = '712020:4f2c8b1e-9d3a-4c57-b1e0-6a2f9c3d7e15';
const CONFIG = `
tenants:
  - id: acme
    integrations:
      - id: jira
        type: jira
        secrets: ["${SECRET}", "${ROTATED}"]
        fields: { customerTier: customfield_10042, dueAt: duedate }
    members:
      - { id: alice, capacity: 5, handles: { jira: "${ALICE}" } }
      - { id: bob, capacity: 5, handles: { jira: "${BOB}" } }
    policy:
      fallbackQueue: triage
      routes:
        - { name: requested, when: { field: requestedAssignee, in: [alice, bob] }, strategy: direct }
        - { name: everyone, strategy: least_loaded, members: [alice, bob] }
`;

for (const kind of STORES) {
  describe(`Jira source over HTTP (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: CONFIG });

    /** Sample `name` about issue OPS-`n`, delivered and routed. */
    const post = async (name: JiraSample, n: number, o: JiraDeliverOptions = {}) => {
      const res = await deliverJira(`${t.base}/hooks/acme/jira`, withIssue(jiraSample(name), n), SECRET, o);
      await waitUntilSettled(t.store);
      return res;
    };
    const task = async (n: number) => (await t.store.listTasks('acme', { externalId: `OPS-${n}`, limit: 1 })).items[0];
    const load = async () => (await t.store.readSnapshot('acme')).load;
    const metrics = async () => (await fetch(`${t.base}/metrics`)).text();

    it('a signed jira:issue_created becomes the Task, assigned to its Jira assignee; a retry is a duplicate', async () => {
      const first = await post('issue_created', 101, { identifier: 'c1b4e0a2-0101' });
      expect(first).toMatchObject({ status: 202, body: { status: 'accepted' } });
      const created = (await task(101))!;
      expect(created).toMatchObject({ status: 'assigned', assignee: 'alice', priority: 2, integration: 'jira' });
      expect(created.task).toEqual({
        externalId: 'OPS-101',
        title: 'Checkout fails with 502 for card payments',
        type: 'bug',
        priority: 2,
        labels: ['payments', 'checkout'],
        component: 'Checkout',
        reporter: '557058:0d1f2e3a-4b5c-4d6e-8f70-8192a3b4c5d6',
        customerTier: 'Enterprise',
        dueAt: '2025-12-05T23:59:59.999Z',
        requestedAssignee: 'alice',
        url: 'https://acme-example.atlassian.net/browse/OPS-101',
      });

      // Jira retries with the same X-Atlassian-Webhook-Identifier (and X-Atlassian-Webhook-Retry).
      const before = await rowCounts(t.store);
      const retry = await post('issue_created', 101, { identifier: 'c1b4e0a2-0101', retry: 1 });
      expect(retry).toMatchObject({ status: 200, body: { status: 'duplicate', eventId: first.body.eventId } });
      expect(await rowCounts(t.store)).toEqual(before);
      expect(await t.store.listDecisions('acme', created.id)).toHaveLength(1);
      expect(await metrics()).toMatch(/switchyard_events_duplicate_total\{tenant="acme",integration="jira"\} 1/);
      expect(await t.store.getEvent('acme', first.body.eventId as string)).toMatchObject({ duplicates: 1 });
    });

    it('without the identifier header the body’s event, issue id and timestamp dedupe', async () => {
      const first = await post('issue_created', 102, { identifier: null });
      const again = await post('issue_created', 102, { identifier: null });
      expect([first.status, again.status]).toEqual([202, 200]);
      const event = await t.store.getEvent('acme', first.body.eventId as string);
      expect(event?.dedupeKey).toBe('jira:issue_created:20102:1764579600123');
    });

    it('a delivery signed with any listed secret is accepted (rotation)', async () => {
      expect((await post('issue_created', 103, { secret: ROTATED })).status).toBe(202);
      expect(await task(103)).toMatchObject({ status: 'assigned' });
    });

    it('refuses a tampered body, a wrong secret and a missing signature: 401, nothing written, counted', async () => {
      const before = await rowCounts(t.store);
      const cases: [JiraDeliverOptions, string, RegExp][] = [
        [{ tamper: (b) => b.replace('"High"', '"Lowest"') }, 'bad-signature', /X-Hub-Signature is not sha256=/],
        [{ secret: 'not-the-webhook-secret-000' }, 'bad-signature', /any active secret/],
        [{ unsigned: true }, 'missing-headers', /needs the X-Hub-Signature header.*registered with a Secret/],
      ];
      for (const [options, type, detail] of cases) {
        const res = await post('issue_created', 199, options);
        expect(res.status).toBe(401);
        expect(res.contentType).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status: 401 });
        expect(res.body.detail).toMatch(detail);
      }
      expect(await rowCounts(t.store)).toEqual(before);
      expect(await task(199)).toBeUndefined();
      const text = await metrics();
      expect(text).toMatch(/switchyard_events_rejected_total\{reason="bad_signature"\} 2/);
      expect(text).toMatch(/switchyard_events_rejected_total\{reason="missing_headers"\} 1/);
    });

    it('a priority change updates the task’s priority and keeps its assignment', async () => {
      await post('issue_created', 104);
      const before = (await task(104))!;
      expect(before).toMatchObject({ assignee: 'alice', priority: 2 });
      const res = await post('issue_updated.priority', 104);
      expect(await t.store.getEvent('acme', res.body.eventId as string)).toMatchObject({ status: 'merged' });
      expect(await task(104)).toMatchObject({
        status: 'assigned',
        assignee: 'alice',
        priority: 1,
        task: { priority: 1 },
      });
      expect(await t.store.listDecisions('acme', before.id)).toHaveLength(1);
    });

    it('an assignee change made in Jira is an override decision; the original is kept', async () => {
      await post('issue_created', 105);
      const loadBefore = await load();
      await post('issue_updated.assignee', 105);
      const moved = (await task(105))!;
      expect(moved).toMatchObject({ status: 'assigned', assignee: 'bob' });
      const decisions = await t.store.listDecisions('acme', moved.id);
      expect(decisions.map((d) => [d.kind, d.assignee])).toEqual([
        ['auto', 'alice'],
        ['override', 'bob'],
      ]);
      expect(decisions[1]).toMatchObject({
        supersedesId: decisions[0]?.id,
        actor: `jira:${ALICE}`,
        reason: 'assigned to Bob Ngata on Jira by Alice Moreau',
      });
      expect(await load()).toEqual({ alice: (loadBefore.alice ?? 0) - 1, bob: (loadBefore.bob ?? 0) + 1 });
    });

    it('jira:issue_deleted cancels the task and frees its assignee’s load', async () => {
      await post('issue_created', 106);
      expect(await task(106)).toMatchObject({ assignee: 'alice' });
      const aliceBefore = (await load()).alice ?? 0;
      const res = await post('issue_deleted', 106);
      expect(await t.store.getEvent('acme', res.body.eventId as string)).toMatchObject({ status: 'applied' });
      expect(await task(106)).toMatchObject({ status: 'cancelled' });
      expect((await load()).alice ?? 0).toBe(aliceBefore - 1);
    });
  });
}
