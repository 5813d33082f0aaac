/**
 * The backlog: with the only eligible member at capacity, tasks wait in the queue; each close
 * frees one slot and the most urgent queued task (priority, then due time, then arrival) is
 * assigned at once, through decide/commit, with its own decision and audit entry.
 */
import { describe, expect, it } from 'vitest';
import { SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitUntilSettled } from './support/server.js';
import { STORES } from './support/stores.js';

export const SOLO_CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.current}] }
    members:
      - { id: solo, capacity: 1 }
      - { id: spare, capacity: 5 }
    policy:
      fallbackQueue: backlog
      routes:
        - { name: solo-only, strategy: least_loaded, members: [solo] }
`;

for (const kind of STORES) {
  describe(`backlog (${kind})`, () => {
    const { server: t, api } = useTestServer(kind, { configYaml: SOLO_CONFIG });

    it('20 queued tasks are assigned one per close, in priority then due-time order, each audited', async () => {
      expect((await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId: 'FIRST' }))).status).toBe(202);
      await waitUntilSettled(t.store);
      // Arrival order is posting order; priorities and due times are shuffled on purpose.
      const queued = Array.from({ length: 20 }, (_, i) => ({
        externalId: `Q-${String(i).padStart(2, '0')}`,
        priority: ((i * 7) % 5) + 1,
        ...(i % 3 === 0 ? { dueAt: new Date(Date.UTC(2026, 11, 1 + ((i * 11) % 20))).toISOString() } : {}),
      }));
      for (const q of queued) {
        expect(
          (await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ ...q, title: q.externalId }))).status,
        ).toBe(202);
        await waitUntilSettled(t.store);
      }
      const waiting = await t.store.listTasks('acme', { status: 'queued', limit: 50 });
      expect(waiting.items).toHaveLength(20);
      expect(waiting.items.every((x) => x.queue === 'backlog')).toBe(true);

      const expected = [...queued]
        .map((q, arrival) => ({ ...q, arrival }))
        .sort(
          (a, b) =>
            a.priority - b.priority || (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999') || a.arrival - b.arrival,
        )
        .map((q) => q.externalId);

      const served: string[] = [];
      let current = (await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items;
      expect(current.map((x) => x.externalId)).toEqual(['FIRST']);
      for (let i = 0; i < 20; i++) {
        const res = await api(`/tasks/${current[0]?.id}/close`, {});
        expect(res.status).toBe(200);
        current = (await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items;
        expect(current).toHaveLength(1);
        served.push(current[0]?.externalId as string);
      }
      expect(served).toEqual(expected);
      expect((await t.store.readSnapshot('acme')).load).toEqual({ solo: 1 });

      const audit = await t.store.readAudit('acme', 0, 1000);
      const backlogDecisions = audit.filter((e) => e.kind === 'decision' && JSON.parse(e.data).trigger === 'backlog');
      expect(backlogDecisions).toHaveLength(20);
      expect(audit.filter((e) => e.kind === 'task.closed')).toHaveLength(20);
      for (const externalId of served) {
        const task = (await t.store.listTasks('acme', { externalId, limit: 1 })).items[0]!;
        const decisions = await t.store.listDecisions('acme', task.id);
        expect(decisions.map((d) => [d.outcome, d.eventId === null])).toEqual([
          ['queued', false],
          ['assigned', true],
        ]);
        expect(decisions[1]?.supersedesId).toBe(decisions[0]?.id);
      }
    });

    it('a member back from away takes the most urgent queued task at once', async () => {
      const assigned = (await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items[0]!;
      expect((await api('/members/solo/away', { away: true })).status).toBe(200);
      expect((await api(`/tasks/${assigned.id}/close`, {})).status).toBe(200);
      // Capacity freed but solo is away: nothing moves.
      const urgent = taskPayload({ externalId: 'URGENT', priority: 1 });
      await postEvent(t.base, '/hooks/acme/tickets', urgent);
      await waitUntilSettled(t.store);
      expect((await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items).toEqual([]);
      const back = await api('/members/solo/away', { away: false });
      expect(await back.json()).toEqual({ memberId: 'solo', away: false, changed: true });
      const now = (await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items;
      expect(now.map((x) => [x.externalId, x.assignee])).toEqual([['URGENT', 'solo']]);
    });

    it('a task a person parked in a queue stays there when the backlog drains', async () => {
      const assigned = (await t.store.listTasks('acme', { status: 'assigned', limit: 5 })).items[0]!;
      await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ externalId: 'PARKED', priority: 1 }));
      await waitUntilSettled(t.store);
      const parked = (await t.store.listTasks('acme', { externalId: 'PARKED', limit: 1 })).items[0]!;
      expect(
        (await api(`/tasks/${parked.id}/reassign`, { queue: 'vendor', reason: 'waiting on the vendor' })).status,
      ).toBe(200);
      expect((await api(`/tasks/${assigned.id}/close`, {})).status).toBe(200);
      expect((await t.store.getTask('acme', parked.id))?.queue).toBe('vendor');
    });
  });
}
