/**
 * Reviewed policy (tenant `policyReview: { required: true }`) over HTTP on both stores: new
 * versions start pending; activating one is 409 (and `activate: true` on create writes
 * nothing); approving needs a key with scope policy:approve (403 missing-scope) that did not
 * create it (403 self-approval); once approved it activates and routes; a rollback to a
 * version that was active before needs no new review; every step is in the audit chain and
 * `switchyard audit verify` passes.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { runCli } from './support/cli.js';
import {
  auditKinds,
  expectProblem,
  json,
  keyedApi,
  routeOne,
  TEST_CONFIG_YAML,
  type VersionBody,
  withCarolRoute,
} from './support/policy.js';
import { useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

/** The test config with review required for acme. */
const REVIEWED_CONFIG = TEST_CONFIG_YAML.replace(
  '  - id: acme\n',
  '  - id: acme\n    policyReview: { required: true }\n',
);

for (const kind of STORES) {
  describe(`reviewed policy versions (${kind})`, () => {
    const { server: t } = useTestServer(kind, { configYaml: REVIEWED_CONFIG, keys: [] });
    const keys: Record<'author' | 'reviewer' | 'other', { id: string; call: ReturnType<ReturnType<typeof keyedApi>> }> =
      {} as never;
    let v1: VersionBody;
    let v2: VersionBody;

    beforeAll(async () => {
      expect(REVIEWED_CONFIG).toContain('policyReview');
      const call = keyedApi(() => t.base);
      for (const [name, scopes] of [
        ['author', []],
        ['reviewer', ['policy:approve']],
        ['other', ['policy:approve']],
      ] as const) {
        const k = await createApiKey(t.store, 'acme', name, [...scopes]);
        keys[name] = { id: k.id, call: call(k.key) };
      }
    });

    const versionCount = async () =>
      (await json<{ items: unknown[] }>(await keys.author.call('GET', '/policies/versions'), 200)).items.length;

    it('the config file’s first version is active (nothing else could be) but recorded as pending', async () => {
      v1 = await json<VersionBody>(await keys.author.call('GET', '/policies/versions/active'), 200);
      expect(v1).toMatchObject({ number: 1, review: 'pending', active: true, author: 'config:test-config.yaml' });
    });

    it('activate: true on a new version is refused with 409 before anything is written', async () => {
      const auditBefore = await auditKinds(t.store);
      const res = await keys.author.call('POST', '/policies/versions', {
        document: withCarolRoute(v1.document),
        activate: true,
      });
      const problem = await expectProblem(res, 409, 'policy-version-not-approved');
      expect(problem.detail).toMatch(/requires review/);
      expect(await versionCount()).toBe(1);
      expect(await auditKinds(t.store)).toEqual(auditBefore);
    });

    it('a new version is pending; activating it is 409 until it is approved', async () => {
      v2 = await json<VersionBody>(
        await keys.author.call('POST', '/policies/versions', {
          document: withCarolRoute(v1.document),
          message: 'carol takes to-carol',
        }),
        201,
      );
      expect(v2).toMatchObject({ number: 2, review: 'pending', active: false, author: `apikey:${keys.author.id}` });
      const problem = await expectProblem(
        await keys.author.call('POST', '/policies/versions/2/activate', {}),
        409,
        'policy-version-not-approved',
      );
      expect(problem).toMatchObject({ review: 'pending' });
      expect(problem.detail).toMatch(/policy:approve/);
      expect(
        (await json<{ version: VersionBody }>(await keys.author.call('GET', '/policies/active'), 200)).version.id,
      ).toBe(v1.id);
    });

    it('approving needs the policy:approve scope, and not the author’s key', async () => {
      await expectProblem(await keys.author.call('POST', '/policies/versions/2/approve', {}), 403, 'missing-scope');
      // A scoped key that created a version cannot approve it either.
      const own = await json<VersionBody>(
        await keys.reviewer.call('POST', '/policies/versions', {
          document: withCarolRoute(v1.document, 'reviewer-route'),
          message: 'mine',
        }),
        201,
      );
      expect(own).toMatchObject({ number: 3, author: `apikey:${keys.reviewer.id}` });
      await expectProblem(await keys.reviewer.call('POST', '/policies/versions/3/approve', {}), 403, 'self-approval');
      expect((await json<VersionBody>(await keys.author.call('GET', '/policies/versions/3'), 200)).review).toBe(
        'pending',
      );
    });

    it('approved by another scoped key, the version activates and routes the next events', async () => {
      const approved = await json<VersionBody>(
        await keys.reviewer.call('POST', `/policies/versions/${v2.id}/approve`),
        200,
      );
      expect(approved).toMatchObject({ id: v2.id, review: 'approved', approvedBy: `apikey:${keys.reviewer.id}` });
      // Approving again changes nothing.
      const auditBefore = await auditKinds(t.store);
      expect(
        (await json<VersionBody>(await keys.other.call('POST', '/policies/versions/2/approve', {}), 200)).approvedBy,
      ).toBe(`apikey:${keys.reviewer.id}`);
      expect(await auditKinds(t.store)).toEqual(auditBefore);

      const activated = await json<{ activation: { rollback: boolean } }>(
        await keys.author.call('POST', '/policies/versions/2/activate', { reason: 'reviewed' }),
        200,
      );
      expect(activated.activation.rollback).toBe(false);
      const decision = await routeOne(t.base, t.store, `RV-${randomUUID()}`);
      expect(decision).toMatchObject({ policyVersion: v2.id, assignee: 'carol' });
    });

    it('a rollback to a version that was active before needs no new review', async () => {
      const body = await json<{ activation: { rollback: boolean; previous: string } }>(
        await keys.author.call('POST', '/policies/versions/1/activate', {}),
        200,
      );
      expect(body.activation).toMatchObject({ rollback: true, previous: v2.id });
      // Version 3 (pending, never active) still cannot be activated.
      await expectProblem(
        await keys.author.call('POST', '/policies/versions/3/activate', {}),
        409,
        'policy-version-not-approved',
      );
    });

    it('every transition is in the audit chain and `switchyard audit verify` passes', async () => {
      const entries = (await t.store.readAudit('acme', 0, 10_000)).filter((e) => e.kind.startsWith('policy.'));
      expect(entries.map((e) => `${e.kind} ${e.subject}`)).toEqual([
        `policy.version.created ${v1.id}`,
        `policy.version.activated ${v1.id}`,
        `policy.version.created ${v2.id}`,
        expect.stringMatching(/^policy\.version\.created pv_/),
        `policy.version.approved ${v2.id}`,
        `policy.version.activated ${v2.id}`,
        `policy.version.activated ${v1.id}`,
      ]);
      expect(JSON.parse(entries[4]?.data ?? '{}')).toMatchObject({
        approvedBy: `apikey:${keys.reviewer.id}`,
        author: `apikey:${keys.author.id}`,
      });
      const out = await runCli(['audit', 'verify', '--db', t.storeUrl]);
      expect(out.stdout).toMatch(/ok\s+acme: \d+ entries, chain intact/);
      expect(out.code).toBe(0);
    });
  });
}
