/**
 * Secret rotation over real HTTP on both stores: a rotated secret verifies deliveries at once,
 * the older stored ones until their expiry, a revoked one never; config secrets keep working;
 * values never leave the server except once at creation, and are stored encrypted. The CLI
 * rotates on the store directly and the running server picks the new secret up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, inject, it } from 'vitest';
import { REPO, runCli } from './support/cli.js';
import { SECRETS, SOURCE_SECRETS } from './support/secrets.js';
import { postEvent, taskPayload, useTestServer, waitFor } from './support/server.js';
import { STORES } from './support/stores.js';

/** The tenants with an API key. */
const TENANTS = ['acme', 'globex'] as const;
type Tenant = (typeof TENANTS)[number];

const CONFIG_SECRET = SECRETS.current;
const GH_SECRET = SOURCE_SECRETS.github;
const CONFIG = `
tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${CONFIG_SECRET}] }
      - { id: gh, type: github, secrets: ["${GH_SECRET}"] }
    members: [{ id: alice }]
    policy:
      fallbackQueue: triage
      routes: [{ name: all, strategy: direct, assignee: alice }]
  - id: globex
    integrations:
      - { id: tickets, type: generic, secrets: ["${SECRETS.globex}"] }
    members: [{ id: zoe }]
    policy:
      fallbackQueue: inbox
      routes: [{ name: all, strategy: direct, assignee: zoe }]
`;

for (const kind of STORES) {
  describe(`secret rotation (${kind})`, () => {
    const { server: t, json, seen } = useTestServer(kind, { configYaml: CONFIG, worker: false, keys: TENANTS });
    /** Every secret issued (every API body read is in `seen`), to check none leaks. */
    const issued: string[] = [];

    const call = (method: string, path: string, body?: unknown, tenant: Tenant = 'acme') =>
      json(path, body, { method, as: tenant });
    const rotate = async (integration: string, body: unknown = {}, tenant: Tenant = 'acme') => {
      const res = await call('POST', `/integrations/${integration}/secrets/rotate`, body, tenant);
      if (res.status === 201) issued.push(res.body.secret);
      return res;
    };
    const deliver = async (secret: string) =>
      (await postEvent(t.base, '/hooks/acme/tickets', taskPayload(), { secret })).status;
    const deliverGithub = async (secret: string) => {
      const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
      const res = await fetch(`${t.base}/hooks/acme/gh`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': await sign(secret, body),
        },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    };

    it('a rotated generic secret is accepted at once; the config secret still is', async () => {
      const res = await rotate('tickets');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), createdAt: expect.any(String) });
      expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Date.parse(res.body.expiresOthersAt) - Date.parse(res.body.createdAt)).toBe(24 * 3600 * 1000);
      expect(await deliver(res.body.secret)).toBe(202);
      expect(await deliver(CONFIG_SECRET)).toBe(202);
      expect(await deliver(SECRETS.unknown)).toBe(401);
    });

    it('the older stored secret is accepted until its expiry, refused after; config secrets are untouched', async () => {
      const first = (await rotate('tickets')).body;
      const second = (await rotate('tickets')).body; // first now expires in 24 h
      expect(await deliver(first.secret)).toBe(202);
      expect(await deliver(second.secret)).toBe(202);
      const third = (await rotate('tickets', { expireOthersInSeconds: 0 })).body;
      expect(await deliver(first.secret)).toBe(401);
      expect(await deliver(second.secret)).toBe(401);
      expect(await deliver(third.secret)).toBe(202);
      expect(await deliver(CONFIG_SECRET)).toBe(202);
      // An earlier expiry is kept: rotating with a long grace period does not revive them.
      await rotate('tickets', { expireOthersInSeconds: 3600 });
      expect(await deliver(first.secret)).toBe(401);
      expect(await deliver(third.secret)).toBe(202);
    });

    it('a revoked secret is refused at once; unknown ids are 404, config ones 409', async () => {
      const r = (await rotate('tickets')).body;
      expect(await deliver(r.secret)).toBe(202);
      expect((await call('DELETE', `/integrations/tickets/secrets/${r.id}`)).status).toBe(204);
      expect(await deliver(r.secret)).toBe(401);
      expect((await call('DELETE', `/integrations/tickets/secrets/${r.id}`)).status).toBe(204);
      const unknown = await call('DELETE', '/integrations/tickets/secrets/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      expect(unknown).toMatchObject({ status: 404, contentType: expect.stringContaining('application/problem+json') });
      expect(unknown.body.type).toBe('urn:switchyard:problem:secret-not-found');
      expect((await call('DELETE', '/integrations/tickets/secrets/config:0')).status).toBe(409);
      const list = await call('GET', '/integrations/tickets/secrets');
      expect(list.body.items.find((s: { id: string }) => s.id === r.id)).toMatchObject({
        active: false,
        revokedAt: expect.any(String),
      });
    });

    it('rotation works for a GitHub integration (a 43-character token)', async () => {
      const res = await rotate('gh', { expireOthersInSeconds: 60 });
      expect(res.status).toBe(201);
      expect(res.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await deliverGithub(res.body.secret)).toBe(202);
      expect(await deliverGithub(GH_SECRET)).toBe(202);
      expect(await deliverGithub('not-the-secret-0123456789')).toBe(401);
    });

    it('lists secrets without values; another tenant cannot see, rotate or revoke them', async () => {
      const list = await call('GET', '/integrations/tickets/secrets');
      expect(list.status).toBe(200);
      expect(list.body.items[0]).toEqual({ id: 'config:0', source: 'config', active: true });
      const stored = list.body.items.filter((s: { source: string }) => s.source === 'stored');
      expect(stored.length).toBeGreaterThan(3);
      for (const s of stored)
        expect(Object.keys(s).sort()).toEqual(expect.arrayContaining(['active', 'createdAt', 'id', 'source']));
      expect((await rotate('gh', {}, 'globex')).status).toBe(404);
      expect((await call('GET', '/integrations/gh/secrets', undefined, 'globex')).status).toBe(404);
      const globexList = await call('GET', '/integrations/tickets/secrets', undefined, 'globex');
      expect(globexList.body.items.map((s: { source: string }) => s.source)).toEqual(['config']);
      expect((await call('DELETE', `/integrations/tickets/secrets/${stored[0].id}`, undefined, 'globex')).status).toBe(
        404,
      );
      expect((await call('GET', '/integrations/tickets/secrets')).body.items).toEqual(list.body.items);
      expect(
        (await call('GET', '/integrations')).body.items.find((i: { id: string }) => i.id === 'gh').activeSecrets,
      ).toBe(2);
    });

    it('stores only ciphertext; audit entries and list answers never carry a secret', async () => {
      const rows = await t.store.db.selectFrom('integration_secrets').select(['tenant_id', 'secret']).execute();
      expect(rows.length).toBe(issued.length);
      for (const r of rows) {
        expect(r.tenant_id).toBe('acme');
        expect(r.secret).toMatch(/^v1:/);
      }
      const audit = await t.store.readAudit('acme', 0, 1000);
      expect(audit.filter((a) => a.kind === 'secret.rotated').length).toBe(issued.length);
      expect(audit.filter((a) => a.kind === 'secret.revoked').length).toBe(1);
      const rotated = audit.find((a) => a.kind === 'secret.rotated');
      expect(JSON.parse(rotated?.data ?? '{}')).toMatchObject({
        integration: 'tickets',
        actor: expect.stringMatching(/^apikey:/),
      });
      const everything = [
        ...rows.map((r) => r.secret),
        ...audit.map((a) => a.data),
        ...seen.filter((s) => !s.includes('"secret"')),
      ].join('\n');
      for (const secret of issued) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(secret.replace(/^whsec_/, ''));
      }
    });

    it('without SWITCHYARD_SECRET_KEY rotation is 503 secret-key-not-set; config secrets keep working', async () => {
      const saved = process.env.SWITCHYARD_SECRET_KEY;
      delete process.env.SWITCHYARD_SECRET_KEY;
      try {
        const res = await rotate('tickets');
        expect(res).toMatchObject({ status: 503, contentType: expect.stringContaining('application/problem+json') });
        expect(res.body.type).toBe('urn:switchyard:problem:secret-key-not-set');
        expect(res.body.detail).toContain('SWITCHYARD_SECRET_KEY');
        expect(await deliver(CONFIG_SECRET)).toBe(202);
      } finally {
        process.env.SWITCHYARD_SECRET_KEY = saved;
      }
    });

    it('`switchyard secrets rotate` prints a secret the running server accepts; `list` shows no values', async () => {
      const dir = join(REPO, '.tmp', `test-${inject('runTag')}-secrets-${randomBytes(4).toString('hex')}`);
      await mkdir(dir, { recursive: true });
      const configPath = join(dir, 'config.yaml');
      await writeFile(configPath, CONFIG);
      const target = ['--tenant', 'acme', '--integration', 'tickets', '--db', t.storeUrl, '--config', configPath];
      const out = await runCli(['secrets', 'rotate', ...target, '--expire-others-in', '90m']);
      expect(out.code, out.stderr).toBe(0);
      const secret = out.stdout.trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(out.stderr).toContain('config');
      issued.push(secret);
      // Rotated "on another node": picked up once this server's cache (a few seconds) expires.
      await waitFor(async () => (await deliver(secret)) === 202, 15_000, 'the CLI-rotated secret to be accepted');
      const list = await runCli(['secrets', 'list', ...target, '--json']);
      expect(list.code, list.stderr).toBe(0);
      for (const s of issued) expect(list.stdout).not.toContain(s);
      expect(JSON.parse(list.stdout)[0]).toEqual({ id: 'config:0', source: 'config', active: true });
      const saved = process.env.SWITCHYARD_SECRET_KEY;
      delete process.env.SWITCHYARD_SECRET_KEY;
      try {
        const noKey = await runCli(['secrets', 'rotate', ...target]);
        expect(noKey.code).toBe(1);
        expect(noKey.stdout).toBe('');
        expect(noKey.stderr).toContain('SWITCHYARD_SECRET_KEY is not set');
      } finally {
        process.env.SWITCHYARD_SECRET_KEY = saved;
      }
    }, 60_000);
  });
}
