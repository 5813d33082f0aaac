/**
 * Policy versions across restarts and nodes, on both stores: a changed config file is applied
 * at boot; a version activated through the API (a rollback) survives a restart with the same
 * file; with review required a changed file waits, pending; an activation made on one node
 * routes the next events on another node (its worker refreshes before each batch).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/api-keys.js';
import { type ActivationBody, json, keyedApi, routeOne, TEST_CONFIG_YAML, type VersionBody } from './support/policy.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freshStoreUrl, STORES } from './support/stores.js';

/** The test config with a first acme route sending label `to-carol` to carol. */
const CHANGED_CONFIG = TEST_CONFIG_YAML.replace(
  '      routes:\n        - name: requested\n',
  '      routes:\n        - name: to-carol\n          when: { field: labels, contains: to-carol }\n' +
    '          strategy: direct\n          assignee: carol\n        - name: requested\n',
);
/** CHANGED_CONFIG with review required and one more change (bob's capacity). */
const REVIEWED_CHANGE = CHANGED_CONFIG.replace(
  '  - id: acme\n',
  '  - id: acme\n    policyReview: { required: true }\n',
).replace('{ id: bob, capacity: 3 }', '{ id: bob, capacity: 4 }');

for (const kind of STORES) {
  describe(`policy versions across restarts and nodes (${kind})`, () => {
    const running: TestServer[] = [];
    afterEach(async () => {
      for (const s of running.splice(0)) await s.close();
    });
    const start = async (storeUrl: string, configYaml: string, worker = true) => {
      // No timed refresh: only the worker's refresh before each batch (or the API's own) moves a node.
      const s = await startTestServer(kind, { storeUrl, configYaml, worker, policyRefreshMs: 3_600_000 });
      running.push(s);
      return s;
    };
    const stop = async (s: TestServer) => {
      running.splice(running.indexOf(s), 1);
      await s.close();
    };
    const apiOf = async (s: TestServer) => keyedApi(() => s.base)((await createApiKey(s.store, 'acme', 'ops')).key);

    it('a changed file is applied at boot; a rollback through the API survives a restart with the same file', async () => {
      expect(CHANGED_CONFIG).toContain('name: to-carol');
      const storeUrl = await freshStoreUrl(kind);
      const first = await start(storeUrl, TEST_CONFIG_YAML);
      const v1 = first.config.tenants.get('acme')?.policy.version;
      await stop(first);

      // The file changed: its content is version 2, activated at boot.
      const second = await start(storeUrl, CHANGED_CONFIG);
      let api = await apiOf(second);
      const v2 = await json<VersionBody>(await api('GET', '/policies/versions/active'), 200);
      expect(v2).toMatchObject({ number: 2, parent: v1, author: 'config:test-config.yaml', review: 'not_required' });
      expect(await routeOne(second.base, second.store, `C2-${randomUUID()}`)).toMatchObject({
        policyVersion: v2.id,
        assignee: 'carol',
      });
      // Roll back through the API.
      await json(await api('POST', '/policies/versions/1/activate', { reason: 'bad change' }), 200);
      await stop(second);

      // Same file again: the rollback stays, nothing new is recorded.
      const third = await start(storeUrl, CHANGED_CONFIG);
      api = await apiOf(third);
      const active = await json<{ version: VersionBody; serving: string }>(await api('GET', '/policies/active'), 200);
      expect(active.version.id).toBe(v1);
      expect(active.serving).toBe(v1);
      expect(third.config.tenants.get('acme')?.policy.version).toBe(v1);
      const versions = await json<{ items: VersionBody[] }>(await api('GET', '/policies/versions'), 200);
      expect(versions.items.map((v) => v.number)).toEqual([2, 1]);
      const activations = await json<{ items: ActivationBody[] }>(await api('GET', '/policies/activations'), 200);
      expect(activations.items.map((a) => [a.version, a.actor, a.rollback])).toEqual([
        [v1, expect.stringMatching(/^apikey:/), true],
        [v2.id, 'config:test-config.yaml', false],
        [v1, 'config:test-config.yaml', false],
      ]);
      expect(await routeOne(third.base, third.store, `C3-${randomUUID()}`)).toMatchObject({
        policyVersion: v1,
        outcome: 'queued',
      });
      await stop(third);

      // With review required, a changed file waits (pending) and the active version stays.
      const fourth = await start(storeUrl, REVIEWED_CHANGE);
      api = await apiOf(fourth);
      const latest = await json<VersionBody>(await api('GET', '/policies/versions/3'), 200);
      expect(latest).toMatchObject({ review: 'pending', active: false, parent: v1 });
      expect((await json<{ version: VersionBody }>(await api('GET', '/policies/active'), 200)).version.id).toBe(v1);
    });

    it('an activation made on one node routes the next events on another node', async () => {
      const storeUrl = await freshStoreUrl(kind);
      const worker = await start(storeUrl, TEST_CONFIG_YAML);
      // An API-only node (no pipeline worker) sharing the store.
      const web = await start(storeUrl, TEST_CONFIG_YAML, false);
      const api = await apiOf(web);
      const v1 = await json<VersionBody>(await api('GET', '/policies/versions/active'), 200);
      expect(await routeOne(worker.base, worker.store, `N1-${randomUUID()}`)).toMatchObject({
        policyVersion: v1.id,
      });
      const doc = structuredClone(v1.document);
      doc.policy.fallbackQueue = 'elsewhere';
      const v2 = await json<VersionBody>(
        await api('POST', '/policies/versions', { document: doc, activate: true }),
        201,
      );
      // The worker node has not heard of it, yet its next batch is routed with it.
      expect(worker.server.policies.active('acme')).toBe(v1.id);
      const decision = await routeOne(worker.base, worker.store, `N2-${randomUUID()}`);
      expect(decision).toMatchObject({ policyVersion: v2.id, outcome: 'queued', queue: 'elsewhere' });
      expect(worker.server.policies.active('acme')).toBe(v2.id);
      expect(worker.config.tenants.get('acme')?.policy.fallbackQueue).toBe('elsewhere');
    });
  });
}
