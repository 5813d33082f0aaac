/**
 * Store conformance for policy versions, on both stores: numbering per tenant (also under
 * concurrent creation), content-addressed inserts, approval only of pending versions, the
 * active pointer and its activations (rollbacks flagged), one query for every tenant's
 * pointer, tenant isolation, the audit chain, and migration 0008 numbering older rows.
 */
import { type Kysely, type Migration, Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import * as m1 from '../src/store/migrations/0001-initial.js';
import * as m2 from '../src/store/migrations/0002-open-events-index.js';
import * as m3 from '../src/store/migrations/0003-routing-state.js';
import * as m4 from '../src/store/migrations/0004-event-meta.js';
import * as m5 from '../src/store/migrations/0005-integration-secrets.js';
import * as m6 from '../src/store/migrations/0006-outbox-leases.js';
import * as m7 from '../src/store/migrations/0007-subscriptions.js';
import { openStore } from '../src/store/open-store.js';
import type { NewPolicyVersion } from '../src/store/policy-store.js';
import type { Database } from '../src/store/schema.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { countRows, iso, OTHER_TENANT, TENANT, verifyChain } from './support/store-fixtures.js';
import { freshStoreUrl, STORES, useFreshStores } from './support/stores.js';

const draft = (n: number, over: Partial<NewPolicyVersion> = {}): NewPolicyVersion => ({
  tenantId: TENANT,
  id: `pv_${String(n).padStart(16, '0')}`,
  document: { policy: { fallbackQueue: 'triage', routes: [] }, members: [{ id: `m${n}` }], teams: [] },
  author: 'apikey:01TEST',
  message: `change ${n}`,
  review: 'not_required',
  now: iso(n * 1000),
  ...over,
});

for (const kind of STORES) {
  describe(`Store conformance (${kind}): policy versions`, () => {
    const fresh = useFreshStores(kind);

    it('numbers versions per tenant, returns the existing version for known content, and audits each creation', async () => {
      const store = await fresh();
      const first = await store.insertPolicyVersion(draft(1));
      expect(first).toMatchObject({ created: true, version: { id: draft(1).id, number: 1, parent: null } });
      expect(first.version.document).toEqual(draft(1).document);
      const again = await store.insertPolicyVersion(draft(1, { message: 'other words', author: 'cli:ops' }));
      expect(again).toMatchObject({
        created: false,
        version: { number: 1, message: 'change 1', author: 'apikey:01TEST' },
      });
      await store.activatePolicyVersion({
        tenantId: TENANT,
        version: draft(1).id,
        actor: 'a',
        reason: null,
        now: iso(1),
      });
      const second = await store.insertPolicyVersion(draft(2, { review: 'pending' }));
      expect(second.version).toMatchObject({ number: 2, parent: draft(1).id, review: 'pending' });
      // The other tenant counts from 1, even for the same content.
      const other = await store.insertPolicyVersion(draft(1, { tenantId: OTHER_TENANT }));
      expect(other).toMatchObject({ created: true, version: { number: 1 } });

      expect(await store.getPolicyVersion(TENANT, { number: 2 })).toMatchObject({ id: draft(2).id });
      expect(await store.getPolicyVersion(TENANT, { id: draft(2).id })).toMatchObject({ number: 2 });
      expect(await store.getPolicyVersion(OTHER_TENANT, { id: draft(2).id })).toBeUndefined();
      const page = await store.listPolicyVersions(TENANT, 1);
      expect(page).toMatchObject({ items: [{ number: 2 }], next: '2' });
      expect(await store.listPolicyVersions(TENANT, 1, 2)).toMatchObject({ items: [{ number: 1 }], next: null });
      expect('document' in (page.items[0] as object)).toBe(false);

      const chain = await verifyChain(store);
      expect(chain.break).toBeNull();
      expect(chain.rows.map((r) => r.kind)).toEqual([
        'policy.version.created',
        'policy.version.activated',
        'policy.version.created',
      ]);
    });

    it('concurrent creations get distinct numbers; the same content created at once is one version', async () => {
      const store = await fresh();
      const results = await Promise.all([
        ...[1, 2, 3, 4, 5, 6].map((n) => store.insertPolicyVersion(draft(n))),
        ...[7, 7, 7].map((n) => store.insertPolicyVersion(draft(n))),
      ]);
      expect(results.filter((r) => r.created)).toHaveLength(7);
      const numbers = (await store.listPolicyVersions(TENANT, 50)).items.map((v) => v.number);
      expect(numbers).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(await countRows(store, 'policy_versions')).toBe(7);
      expect((await verifyChain(store)).break).toBeNull();
    });

    it('approves only pending versions, once', async () => {
      const store = await fresh();
      await store.insertPolicyVersion(draft(1));
      await store.insertPolicyVersion(draft(2, { review: 'pending' }));
      const approval = { tenantId: TENANT, actor: 'apikey:REVIEWER', now: iso(5_000) };
      expect(await store.approvePolicyVersion({ ...approval, version: draft(1).id })).toBeUndefined();
      expect(await store.approvePolicyVersion({ ...approval, version: draft(2).id })).toMatchObject({
        review: 'approved',
        approvedBy: 'apikey:REVIEWER',
        approvedAt: iso(5_000),
      });
      expect(await store.approvePolicyVersion({ ...approval, version: draft(2).id })).toBeUndefined();
      expect(
        await store.approvePolicyVersion({ ...approval, tenantId: OTHER_TENANT, version: draft(2).id }),
      ).toBeUndefined();
      const kinds = (await verifyChain(store)).rows.map((r) => r.kind);
      expect(kinds.filter((k) => k === 'policy.version.approved')).toHaveLength(1);
    });

    it('activation moves the pointer, records the previous version, flags rollbacks; repeating it writes nothing', async () => {
      const store = await fresh();
      for (const n of [1, 2]) await store.insertPolicyVersion(draft(n));
      const activate = (n: number, reason: string | null = null, tenantId = TENANT) =>
        store.activatePolicyVersion({
          tenantId,
          version: draft(n).id,
          actor: `apikey:K${n}`,
          reason,
          now: iso(10_000 + n),
        });
      expect(await activate(1, 'first')).toMatchObject({
        status: 'activated',
        activation: { previous: null, rollback: false, reason: 'first' },
      });
      expect(await activate(2)).toMatchObject({
        status: 'activated',
        activation: { previous: draft(1).id, rollback: false },
      });
      expect(await activate(2)).toEqual({ status: 'already' });
      // Back to 1: a rollback, and the reason says so when none is given.
      expect(await activate(1)).toMatchObject({
        status: 'activated',
        activation: { previous: draft(2).id, rollback: true, reason: 'rollback', number: 1, previousNumber: 2 },
      });
      expect(await activate(1, null, OTHER_TENANT)).toEqual({ status: 'not_found' });
      expect(await activate(9)).toEqual({ status: 'not_found' });

      const list = await store.listPolicyActivations(TENANT, { limit: 2 });
      expect(list.items.map((a) => [a.number, a.previousNumber, a.rollback])).toEqual([
        [1, 2, true],
        [2, 1, false],
      ]);
      const rest = await store.listPolicyActivations(TENANT, { limit: 2, after: list.next as string });
      expect(rest).toMatchObject({ items: [{ number: 1, previous: null }], next: null });
      expect((await store.listPolicyActivations(TENANT, { limit: 10, version: draft(2).id })).items).toHaveLength(1);

      await store.insertPolicyVersion(draft(3, { tenantId: OTHER_TENANT }));
      await activate(3, null, OTHER_TENANT);
      expect(await store.activePolicies([TENANT, OTHER_TENANT, 'nobody'])).toEqual(
        [
          { tenantId: TENANT, version: draft(1).id, activatedAt: iso(10_001) },
          { tenantId: OTHER_TENANT, version: draft(3).id, activatedAt: iso(10_003) },
        ].sort((a, b) => a.tenantId.localeCompare(b.tenantId)),
      );
      expect(await store.activePolicies([])).toEqual([]);
      expect((await verifyChain(store)).break).toBeNull();
      expect((await verifyChain(store, OTHER_TENANT)).break).toBeNull();
    });

    it('migration 0008 numbers the versions recorded before it, in the order they were made', async () => {
      const url = await freshStoreUrl(kind);
      const old = await openStore(url, { migrate: false });
      const before: Record<string, Migration> = {
        '0001-initial': m1,
        '0002-open-events-index': m2,
        '0003-routing-state': m3,
        '0004-event-meta': m4,
        '0005-integration-secrets': m5,
        '0006-outbox-leases': m6,
        '0007-subscriptions': m7,
      };
      const db = old.db as unknown as Kysely<unknown>;
      const { error } = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
      expect(error).toBeUndefined();
      const legacy = (tenant: string, version: string, at: number) =>
        (old.db as Kysely<Database>)
          .insertInto('policy_versions')
          .values({ tenant_id: tenant, version, document: '{}', created_at: iso(at) } as never)
          .execute();
      await legacy(TENANT, 'pv_b', 2_000);
      await legacy(TENANT, 'pv_a', 1_000);
      await legacy(OTHER_TENANT, 'pv_c', 3_000);
      await old.close();

      const store: SqlStore = await openStore(url);
      try {
        expect((await store.listPolicyVersions(TENANT, 10)).items.map((v) => [v.number, v.id, v.review])).toEqual([
          [2, 'pv_b', 'not_required'],
          [1, 'pv_a', 'not_required'],
        ]);
        expect((await store.getPolicyVersion(OTHER_TENANT, { number: 1 }))?.id).toBe('pv_c');
        expect((await store.insertPolicyVersion(draft(5))).version.number).toBe(3);
      } finally {
        await store.close();
      }
    });
  });
}
