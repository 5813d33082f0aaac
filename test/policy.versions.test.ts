/**
 * Policy versions over HTTP on both stores: the config file's routing becomes version 1 at
 * boot; ids are content hashes (the same content is the same version, JSON or YAML); a new
 * version activated through the API routes the next events and decisions name it; a
 * rollback (activating an earlier version) restores the old decisions and is recorded;
 * invalid documents are 422 with JSON pointers and write nothing; versions are per tenant.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createApiKey } from '../src/api/api-keys.js';
import { verifyTenantAudit } from '../src/audit/verify-store.js';
import { checkRoutingDocument, parseRoutingYaml } from '../src/config/routing-document.js';
import { policyVersionOf } from '../src/config/tenant.js';
import {
  type ActivationBody,
  auditKinds,
  expectProblem,
  json,
  keyedApi,
  routeOne,
  type VersionBody,
  withCarolRoute,
} from './support/policy.js';
import { rowCounts, useTestServer } from './support/server.js';
import { STORES } from './support/stores.js';

for (const kind of STORES) {
  describe(`policy versions (${kind})`, () => {
    const { server: t } = useTestServer(kind, { keys: [] });
    let acmeKeyId: string;
    let acme: ReturnType<ReturnType<typeof keyedApi>>;
    let globex: ReturnType<ReturnType<typeof keyedApi>>;
    let v1: VersionBody;
    let v2: VersionBody;

    beforeAll(async () => {
      const call = keyedApi(() => t.base);
      const a = await createApiKey(t.store, 'acme', 'author');
      acmeKeyId = a.id;
      acme = call(a.key);
      globex = call((await createApiKey(t.store, 'globex', 'other')).key);
    });

    const policyRows = async () =>
      Number(
        (
          await t.store.db
            .selectFrom('policy_versions')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('the config file’s routing is version 1 at boot: recorded, active, authored by the config', async () => {
      const active = await json<{ version: VersionBody; serving: string }>(await acme('GET', '/policies/active'), 200);
      const fileVersion = t.config.tenants.get('acme')?.policy.version;
      expect(active.version).toMatchObject({
        id: fileVersion,
        number: 1,
        parent: null,
        author: 'config:test-config.yaml',
        message: 'from the config file',
        review: 'not_required',
        active: true,
      });
      expect(active.serving).toBe(fileVersion);
      v1 = await json<VersionBody>(await acme('GET', '/policies/versions/1'), 200);
      expect(v1.id).toBe(fileVersion);
      expect(v1.document.members.map((m) => m.id)).toEqual(['alice', 'bob', 'carol']);
      // The same version by id and as `active`.
      expect(await json<VersionBody>(await acme('GET', `/policies/versions/${v1.id}`), 200)).toEqual(v1);
      expect(await json<VersionBody>(await acme('GET', '/policies/versions/active'), 200)).toEqual(v1);
      // Each tenant has its own version 1.
      const other = await json<{ version: VersionBody }>(await globex('GET', '/policies/active'), 200);
      expect(other.version.number).toBe(1);
      expect(other.version.id).not.toBe(v1.id);
      expect(await auditKinds(t.store)).toEqual(['policy.version.created', 'policy.version.activated']);
    });

    it('the same content is the same version: 200 with the existing id, for JSON and YAML alike', async () => {
      const before = { versions: await policyRows(), ...(await rowCounts(t.store)) };
      const again = await acme('POST', '/policies/versions', { document: v1.document, message: 'again' });
      expect(await json<VersionBody>(again, 200)).toMatchObject({ id: v1.id, number: 1, message: v1.message });
      const asYaml = await acme('POST', '/policies/versions', { yaml: stringify(v1.document) });
      expect((await json<VersionBody>(asYaml, 200)).id).toBe(v1.id);
      // Key order is not content.
      const { policy, members, teams } = v1.document;
      const reordered = { teams, members: members.map((m) => Object.fromEntries(Object.entries(m).reverse())), policy };
      expect((await json<VersionBody>(await acme('POST', '/policies/versions', { document: reordered }), 200)).id).toBe(
        v1.id,
      );
      expect({ versions: await policyRows(), ...(await rowCounts(t.store)) }).toEqual(before);
    });

    it('a new version activated through the API routes the next events: their decisions name it', async () => {
      const before = await routeOne(t.base, t.store, `V1-${randomUUID()}`);
      expect(before).toMatchObject({ policyVersion: v1.id, outcome: 'queued', queue: 'triage' });

      const res = await acme('POST', '/policies/versions', {
        document: withCarolRoute(v1.document),
        message: 'carol takes to-carol',
        activate: true,
      });
      v2 = await json<VersionBody>(res, 201);
      expect(v2).toMatchObject({
        number: 2,
        parent: v1.id,
        author: `apikey:${acmeKeyId}`,
        message: 'carol takes to-carol',
        review: 'not_required',
        active: true,
      });
      expect(v2.id).toMatch(/^pv_[0-9a-f]{16}$/);
      const active = await json<{ version: VersionBody; serving: string }>(await acme('GET', '/policies/active'), 200);
      expect(active.version.id).toBe(v2.id);
      expect(active.serving).toBe(v2.id);

      const after = await routeOne(t.base, t.store, `V2-${randomUUID()}`);
      expect(after).toMatchObject({ policyVersion: v2.id, outcome: 'assigned', assignee: 'carol', route: 'to-carol' });

      const list = await json<{ items: VersionBody[]; next: string | null }>(
        await acme('GET', '/policies/versions'),
        200,
      );
      expect(list.items.map((v) => [v.number, v.id, v.active])).toEqual([
        [2, v2.id, true],
        [1, v1.id, false],
      ]);
      const page1 = await json<{ items: VersionBody[]; next: string }>(
        await acme('GET', '/policies/versions?limit=1'),
        200,
      );
      expect(page1).toMatchObject({ items: [{ number: 2 }], next: '2' });
      const page2 = await json<{ items: VersionBody[]; next: string | null }>(
        await acme('GET', `/policies/versions?limit=1&after=${page1.next}`),
        200,
      );
      expect(page2).toMatchObject({ items: [{ number: 1 }], next: null });
    });

    it('rollback: activating version 1 again restores the old decisions and is recorded as a rollback', async () => {
      const res = await acme('POST', '/policies/versions/1/activate', { reason: 'carol is on holiday' });
      const body = await json<{ version: VersionBody; activation: ActivationBody }>(res, 200);
      expect(body.version).toMatchObject({ id: v1.id, active: true });
      expect(body.activation).toMatchObject({
        version: v1.id,
        previous: v2.id,
        rollback: true,
        actor: `apikey:${acmeKeyId}`,
        reason: 'carol is on holiday',
      });
      const decision = await routeOne(t.base, t.store, `RB-${randomUUID()}`);
      expect(decision).toMatchObject({ policyVersion: v1.id, outcome: 'queued', queue: 'triage' });

      // Activating the active version again changes nothing.
      const auditBefore = (await auditKinds(t.store)).length;
      const again = await json<{ activation: null }>(
        await acme('POST', `/policies/versions/${v1.id}/activate`, {}),
        200,
      );
      expect(again.activation).toBeNull();
      expect((await auditKinds(t.store)).length).toBe(auditBefore);

      const activations = await json<{ items: ActivationBody[] }>(await acme('GET', '/policies/activations'), 200);
      expect(activations.items.map((a) => [a.version, a.previous, a.rollback, a.reason])).toEqual([
        [v1.id, v2.id, true, 'carol is on holiday'],
        [v2.id, v1.id, false, null],
        [v1.id, null, false, 'first version'],
      ]);
    });

    it('every transition is in the audit chain, and the chain verifies', async () => {
      const entries = await t.store.readAudit('acme', 0, 10_000);
      const policy = entries.filter((e) => e.kind.startsWith('policy.'));
      expect(policy.map((e) => [e.kind, e.subject])).toEqual([
        ['policy.version.created', v1.id],
        ['policy.version.activated', v1.id],
        ['policy.version.created', v2.id],
        ['policy.version.activated', v2.id],
        ['policy.version.activated', v1.id],
      ]);
      expect(JSON.parse(policy[4]?.data ?? '{}')).toMatchObject({ previous: v2.id, rollback: true });
      expect((await verifyTenantAudit(t.store, 'acme')).ok).toBe(true);
      expect((await verifyTenantAudit(t.store, 'globex')).ok).toBe(true);
    });

    it('invalid documents are 422 problem+json with a JSON pointer per problem, and nothing is written', async () => {
      const before = { versions: await policyRows(), ...(await rowCounts(t.store)) };
      const badStrategy = structuredClone(v1.document);
      (badStrategy.policy.routes[0] as { strategy: string }).strategy = 'coin_flip';
      let body = await expectProblem(
        await acme('POST', '/policies/versions', { document: badStrategy }),
        422,
        'invalid-policy',
      );
      expect(body.errors).toEqual([
        expect.objectContaining({ path: '/policy/routes/0/strategy', message: expect.stringContaining('one of') }),
      ]);

      const unknownMember = structuredClone(v1.document);
      unknownMember.policy.routes[2] = { ...unknownMember.policy.routes[2], members: ['alice', 'mallory'] } as never;
      unknownMember.members.push({ ...unknownMember.members[0], id: 'alice' } as never);
      body = await expectProblem(
        await acme('POST', '/policies/versions', { document: unknownMember }),
        422,
        'invalid-policy',
      );
      expect((body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
        '/members/3/id',
        '/policy/routes/2/members/1',
      ]);
      expect(body.detail).toContain('unknown member "mallory"');

      body = await expectProblem(
        await acme('POST', '/policies/versions', {
          yaml: 'policy:\n  fallbackQueue: triage\n  routes: []\nmembers: 3\n',
        }),
        422,
        'invalid-policy',
      );
      expect(body.errors).toEqual([expect.objectContaining({ path: '/members', line: 4 })]);
      await expectProblem(
        await acme('POST', '/policies/versions', { yaml: 'policy: [unclosed' }),
        422,
        'invalid-policy',
      );
      await expectProblem(
        await acme('POST', '/policies/versions', { document: ['not', 'an', 'object'] }),
        422,
        'invalid-policy',
      );
      await expectProblem(
        await acme('POST', '/policies/versions', { document: v1.document, yaml: 'x: 1' }),
        422,
        'document-or-yaml',
      );
      await expectProblem(await acme('POST', '/policies/versions', { message: 'nothing' }), 422, 'document-or-yaml');
      expect({ versions: await policyRows(), ...(await rowCounts(t.store)) }).toEqual(before);
    });

    it('the routes are in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${t.base}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/policies/versions',
          '/api/v1/policies/versions/{v}',
          '/api/v1/policies/versions/{v}/approve',
          '/api/v1/policies/versions/{v}/activate',
          '/api/v1/policies/active',
          '/api/v1/policies/activations',
        ]),
      );
    });

    it('versions are per tenant: another tenant’s version id, an unknown number or a bad reference are 404', async () => {
      const before = await auditKinds(t.store, 'globex');
      await expectProblem(await globex('GET', `/policies/versions/${v2.id}`), 404, 'policy-version-not-found');
      await expectProblem(
        await globex('POST', `/policies/versions/${v2.id}/activate`, {}),
        404,
        'policy-version-not-found',
      );
      await expectProblem(await acme('GET', '/policies/versions/99'), 404, 'policy-version-not-found');
      await expectProblem(await acme('GET', '/policies/versions/latest'), 404, 'policy-version-not-found');
      expect(await auditKinds(t.store, 'globex')).toEqual(before);
      // globex still routes with its own version.
      const other = await json<{ version: VersionBody }>(await globex('GET', '/policies/active'), 200);
      expect(other.version.number).toBe(1);
    });
  });
}

describe('routing documents', () => {
  const doc = (members: unknown[]) => ({
    policy: { fallbackQueue: 'triage', routes: [{ name: 'all', strategy: 'least_loaded', members: ['ann'] }] },
    members,
  });

  it('defaults are part of the content: leaving out `capacity: 10` or `teams: []` is the same version', () => {
    const sparse = checkRoutingDocument(doc([{ id: 'ann' }]));
    const explicit = checkRoutingDocument({ ...doc([{ id: 'ann', capacity: 10 }]), teams: [] });
    if (!sparse.ok || !explicit.ok) throw new Error('expected valid documents');
    expect(policyVersionOf(sparse.document)).toBe(policyVersionOf(explicit.document));
    // What is stored (JSON) hashes to the same id.
    expect(policyVersionOf(JSON.parse(JSON.stringify(sparse.document)))).toBe(policyVersionOf(sparse.document));
  });

  it('a duplicate route name points at the second route (the same check as the config file)', () => {
    const d = doc([{ id: 'ann' }]);
    d.policy.routes.push({ ...d.policy.routes[0], members: ['ann'] } as never);
    const r = checkRoutingDocument(d);
    expect(r.ok ? [] : r.problems).toEqual([
      expect.objectContaining({ pointer: '/policy/routes/1/name', message: 'duplicate name "all"' }),
    ]);
  });

  it('does not modify its input, and YAML problems carry their line', () => {
    const input = doc([{ id: 'ann' }]);
    const copy = structuredClone(input);
    checkRoutingDocument(input);
    expect(input).toEqual(copy);
    const r = parseRoutingYaml(
      'policy:\n  fallbackQueue: triage\n  routes:\n    - { name: x, strategy: nope }\nmembers: []\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([expect.objectContaining({ pointer: '/policy/routes/0/strategy', line: 4 })]);
  });
});
