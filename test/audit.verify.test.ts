/**
 * Invariant 6: the audit chain is tamper-evident. `switchyard audit verify` exits 0 on an
 * intact chain and 1 naming the first bad entry when a stored row was altered, deleted
 * (in the middle or at the end) or reordered.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTenantAudit } from '../src/audit/verify-store.js';
import { openStore } from '../src/store/open-store.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { runCli } from './support/cli.js';
import { freshStoreUrl, STORES } from './support/stores.js';

const TENANTS = ['intact', 'altered', 'deleted', 'reordered', 'truncated'] as const;

for (const kind of STORES) {
  describe(`audit verify (${kind})`, () => {
    let store: SqlStore;
    let url: string;
    const ids: Record<string, string[]> = {};

    beforeAll(async () => {
      url = await freshStoreUrl(kind);
      store = await openStore(url);
      for (const tenant of TENANTS) {
        for (let i = 1; i <= 5; i++) {
          await store.appendAudit(
            tenant,
            { kind: 'decision', subject: `dec-${i}`, data: { assignee: `m${i}`, n: i } },
            new Date(Date.UTC(2026, 10, 26, 10, i)).toISOString(),
          );
        }
        const rows = await store.readAudit(tenant, 0, 10);
        ids[tenant] = rows.map((r) => r.id);
      }
    });
    afterAll(async () => {
      await store.close();
    });

    it('an untouched chain verifies: exit 0', async () => {
      const result = await runCli(['audit', 'verify', '--db', url]);
      expect(result.stdout).toMatch(/ok\s+intact: 5 entries, chain intact/);
      expect(result.code).toBe(0);
    });

    it('names the first bad entry for each kind of tampering and exits 1', async () => {
      const where = (tenant: string, seq: number) => sql`tenant_id = ${tenant} AND seq = ${seq}`;
      await sql`UPDATE audit_log SET data = ${'{"assignee":"mallory","n":3}'} WHERE ${where('altered', 3)}`.execute(
        store.db,
      );
      await sql`DELETE FROM audit_log WHERE ${where('deleted', 3)}`.execute(store.db);
      await sql`DELETE FROM audit_log WHERE ${where('truncated', 5)}`.execute(store.db);
      // Swap the contents of entries 2 and 3, keeping their seq numbers: a reordering.
      const [two, three] = await store.readAudit('reordered', 1, 2);
      const put = (seq: number, e: NonNullable<typeof two>) =>
        sql`UPDATE audit_log SET id = ${e.id}, at = ${e.at}, kind = ${e.kind}, subject = ${e.subject}, data = ${e.data}, prev_hash = ${e.prevHash}, hash = ${e.hash} WHERE ${where('reordered', seq)}`.execute(
          store.db,
        );
      await put(2, three!);
      await put(3, two!);

      const result = await runCli(['audit', 'verify', '--db', url]);
      expect(result.code).toBe(1);
      const line = (tenant: string) => result.stdout.split('\n').find((l) => l.includes(` ${tenant}:`)) ?? '';
      expect(line('intact')).toMatch(/^ok/);
      expect(line('altered')).toMatch(new RegExp(`^FAIL.*seq 3 \\(id ${ids.altered![2]}\\).*altered`));
      expect(line('deleted')).toMatch(new RegExp(`^FAIL.*seq 4 \\(id ${ids.deleted![3]}\\).*entry 3 is missing`));
      expect(line('reordered')).toMatch(/^FAIL.*seq 2 /);
      expect(line('truncated')).toMatch(/^FAIL.*entries 5\.\.5 are missing/);
    });

    it('verifies one tenant on request', async () => {
      const report = await verifyTenantAudit(store, 'intact');
      expect(report).toMatchObject({ ok: true, entries: 5 });
      const result = await runCli(['audit', 'verify', '--db', url, '--tenant', 'altered']);
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain('intact');
    });
  });
}
