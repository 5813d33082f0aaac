/**
 * Invariant 4: decision, task, load counter, outbox and audit are one transaction. A failure
 * on the outbox insert (late in the commit) must leave none of them written, the event must
 * stay owed (pending, with its error and a retry time), and once the fault clears the event
 * gets exactly one decision.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../src/store/sql-store.js';
import { postEvent, rowCounts, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

async function breakOutbox(store: SqlStore) {
  if (store.dialect === 'sqlite') {
    await sql`CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`.execute(
      store.db,
    );
    return;
  }
  await sql`CREATE FUNCTION outbox_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql`.execute(
    store.db,
  );
  await sql`CREATE TRIGGER outbox_down BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_down()`.execute(
    store.db,
  );
}

async function repairOutbox(store: SqlStore) {
  if (store.dialect === 'sqlite') await sql`DROP TRIGGER outbox_down`.execute(store.db);
  else await sql`DROP TRIGGER outbox_down ON outbox`.execute(store.db);
}

for (const kind of STORES) {
  describe(`one commit (${kind})`, () => {
    /** Audit entries written at boot (each tenant's policy version created and activated). */
    let bootAudit: number;
    const { server: t } = useTestServer(kind);
    beforeAll(async () => {
      bootAudit = (await rowCounts(t.store)).audit_log ?? 0;
    });

    it('a failure inside the commit writes nothing, keeps the event owed, and a retry decides it once', async () => {
      await breakOutbox(t.store);
      const res = await postEvent(t.base, '/hooks/acme/tickets', taskPayload({ labels: ['payments'] }));
      expect(res.status).toBe(202);
      const eventId = res.body.eventId as string;
      const failed = await waitFor(
        async () => {
          const e = await t.store.getEvent('acme', eventId);
          return e?.error?.includes('outbox unavailable') && e.status === 'pending' ? e : undefined;
        },
        20_000,
        'a failed attempt',
      );
      expect(failed.attempts).toBeGreaterThanOrEqual(1);
      expect(await rowCounts(t.store)).toMatchObject({
        events: 1,
        tasks: 0,
        decisions: 0,
        outbox: 0,
        audit_log: bootAudit,
        dead_letters: 0,
      });
      expect((await t.store.readSnapshot('acme')).load).toEqual({});
      expect((await t.store.readSnapshot('acme')).turns).toBeUndefined();

      await repairOutbox(t.store);
      const decided = await waitFor(
        async () => {
          const e = await t.store.getEvent('acme', eventId);
          return e?.status === 'decided' ? e : undefined;
        },
        30_000,
        'the retry to decide',
      );
      expect(decided.error).toBeNull();
      // One outbox row: subscribers (the test config has no `notify.slack`, so alice's handle writes none).
      expect(await rowCounts(t.store)).toMatchObject({ tasks: 1, decisions: 1, outbox: 1, audit_log: bootAudit + 1 });
      expect((await t.store.readSnapshot('acme')).load).toEqual({ alice: 1 });
    });
  });
}
