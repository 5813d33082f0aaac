/**
 * Task lifecycle through the API (acknowledge, close, cancel, reopen, explain) and the
 * on-call endpoint, on both stores. Load counters stay exact under concurrent calls.
 */
import { describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: alice, capacity: 50, skills: { payments: 4 } }
      - { id: bob, capacity: 50, skills: [payments] }
      - { id: carol, capacity: 50 }
    teams:
      - id: ops
        members: [alice, bob, carol]
        timezone: Europe/Berlin
        onCall:
          layers:
            - { name: primary, members: [alice, bob], every: 1, unit: weeks, handoff: "2026-03-23T09:00" }
          overrides:
            - { member: carol, covers: bob, from: "2026-04-01T12:00:00Z", to: "2026-04-02T12:00:00Z" }
    policy:
      fallbackQueue: triage
      routes:
        - name: payments
          when: { field: labels, contains: payments }
          strategy: skills
          teams: [ops]
          skills: { required: [payments] }
        - { name: rest, strategy: round_robin, teams: [ops] }
`;

for (const kind of STORES) {
  describe(`task lifecycle and on-call API (${kind})`, () => {
    const { server: t, api } = useTestServer(kind, { configYaml: CONFIG });
    async function newTask(over: Record<string, unknown> = {}) {
      const res = await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ labels: [], ...over }));
      await waitUntilSettled(t.store);
      return (await t.store.getEvent('acme', res.body.eventId as string))?.taskId as string;
    }
    /** Load counters must equal the open tasks each member actually holds. */
    async function expectExactLoad() {
      const open = await t.store.db
        .selectFrom('tasks')
        .select(['assignee'])
        .where('tenant_id', '=', 'acme')
        .where('status', 'in', ['assigned', 'acknowledged'])
        .execute();
      const counted: Record<string, number> = {};
      for (const r of open) counted[r.assignee as string] = (counted[r.assignee as string] ?? 0) + 1;
      expect((await t.store.readSnapshot('acme')).load).toEqual(counted);
    }

    it('acknowledge, close, cancel and reopen move the task and its load; repeats change nothing', async () => {
      const id = await newTask();
      const ack = await api(`/tasks/${id}/acknowledge`, {});
      expect(((await ack.json()) as { task: { status: string } }).task.status).toBe('acknowledged');
      expect((await api(`/tasks/${id}/acknowledge`, {})).status).toBe(200);
      const closed = await api(`/tasks/${id}/close`, { reason: 'fixed in 1.4.2' });
      expect(((await closed.json()) as { task: { status: string } }).task.status).toBe('closed');
      expect((await api(`/tasks/${id}/close`, {})).status).toBe(200);
      const cancel = await api(`/tasks/${id}/cancel`, {});
      expect(cancel.status).toBe(409);
      expect(cancel.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await cancel.json()).toMatchObject({
        type: 'urn:switchyard:problem:task-state-conflict',
        taskStatus: 'closed',
      });
      const reopened = await api(`/tasks/${id}/reopen`, {});
      // Reopened tasks go back through the backlog and are routed again at once.
      expect(((await reopened.json()) as { task: { status: string } }).task.status).toBe('assigned');
      await expectExactLoad();
      const audit = (await t.store.readAudit('acme', 0, 1000)).map((e) => e.kind);
      expect(audit).toEqual(expect.arrayContaining(['task.acknowledged', 'task.closed', 'task.reopened']));
    });

    it('refuses to acknowledge a queued task or reassign a closed one', async () => {
      const id = await newTask();
      await api(`/tasks/${id}/close`, {});
      const res = await api(`/tasks/${id}/reassign`, { assignee: 'bob', reason: 'too late' });
      expect(res.status).toBe(409);
      expect((await api('/tasks/nope/close', {})).status).toBe(404);
    });

    it('30 concurrent closes of one task free its assignee once', async () => {
      const id = await newTask();
      await expectExactLoad();
      const results = await Promise.all(Array.from({ length: 30 }, () => api(`/tasks/${id}/close`, {})));
      expect(results.every((r) => r.status === 200)).toBe(true);
      await expectExactLoad();
      const closes = (await t.store.readAudit('acme', 0, 10_000)).filter(
        (e) => e.kind === 'task.closed' && e.subject === id,
      );
      expect(closes).toHaveLength(1);
    });

    it('concurrent closes, cancels, acknowledgements and reassignments keep every counter exact', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) ids.push(await newTask());
      const calls = ids.flatMap((id, i) => {
        const action = ['close', 'cancel', 'acknowledge'][i % 3] as string;
        return [
          api(`/tasks/${id}/${action}`, {}),
          api(`/tasks/${id}/reassign`, { assignee: ['alice', 'bob', 'carol'][i % 3], reason: 'rebalance' }),
        ];
      });
      const statuses = (await Promise.all(calls)).map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      await expectExactLoad();
    });

    it('explains a decision with every candidate’s score breakdown', async () => {
      const id = await newTask({ labels: ['payments'] });
      const res = await api(`/tasks/${id}/explain`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        route: string;
        candidates: { memberId: string; breakdown?: object; reason?: string }[];
        explanation: string;
      };
      expect(body.route).toBe('payments');
      expect(body.candidates.find((c) => c.memberId === 'alice')?.breakdown).toBeDefined();
      expect(body.candidates.find((c) => c.memberId === 'carol')?.reason).toBe('missing skill `payments`');
      expect(body.explanation).toContain('scored highest');
    });

    it('answers who is on call at an instant and lists the shifts in a window', async () => {
      const at = await (await api('/teams/ops/oncall?at=2026-04-01T13:00:00Z')).json();
      // Week of 2026-03-30 09:00 Berlin is bob's (second shift); carol covers bob from 04-01 12:00Z.
      expect(at).toEqual({
        team: 'ops',
        at: '2026-04-01T13:00:00.000Z',
        onCall: [{ layer: 'primary', member: 'carol', covering: 'bob' }],
      });
      const window = (await (
        await api('/teams/ops/oncall?from=2026-03-30T00:00:00Z&to=2026-04-06T12:00:00Z')
      ).json()) as {
        shifts: { member: string; start: string; end: string }[];
      };
      expect(window.shifts.map((s) => [s.member, s.start, s.end])).toEqual([
        ['alice', '2026-03-30T00:00:00.000Z', '2026-03-30T07:00:00.000Z'],
        ['bob', '2026-03-30T07:00:00.000Z', '2026-04-01T12:00:00.000Z'],
        ['carol', '2026-04-01T12:00:00.000Z', '2026-04-02T12:00:00.000Z'],
        ['bob', '2026-04-02T12:00:00.000Z', '2026-04-06T07:00:00.000Z'],
        ['alice', '2026-04-06T07:00:00.000Z', '2026-04-06T12:00:00.000Z'],
      ]);
      expect((await api('/teams/ops/oncall?from=2026-04-02T00:00:00Z')).status).toBe(400);
      expect((await api('/teams/nope/oncall')).status).toBe(404);
      expect((await api('/teams/ops/oncall?at=yesterday')).status).toBe(400);
    });

    it('lists members with their load and availability', async () => {
      const body = (await (await api('/members')).json()) as {
        items: { id: string; openTasks: number; away: boolean }[];
      };
      expect(body.items.map((m) => m.id)).toEqual(['alice', 'bob', 'carol']);
      const snapshot = await t.store.readSnapshot('acme');
      for (const m of body.items) expect(m.openTasks).toBe(snapshot.load[m.id] ?? 0);
    });
  });
}
