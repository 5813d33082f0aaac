/** Helpers for the policy-version tests: API calls with a given key, problems, decisions by source key. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { RoutingDocument } from '../../src/config/tenant.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import { apiClient, postEvent, TEST_CONFIG_PATH, taskPayload, waitFor, waitUntilSettled } from './server.js';

export const TEST_CONFIG_YAML = readFileSync(TEST_CONFIG_PATH, 'utf8');

export interface VersionBody {
  id: string;
  number: number;
  parent: string | null;
  author: string | null;
  message: string | null;
  review: string;
  approvedBy: string | null;
  active: boolean;
  document: RoutingDocument;
}

export interface ActivationBody {
  id: string;
  version: string;
  previous: string | null;
  actor: string;
  reason: string | null;
  rollback: boolean;
}

/** `call(key)(method, path, body?)` against /api/v1 of the server `base()` names (apiClient, method first). */
export function keyedApi(base: () => string) {
  return (key: string) => {
    const api = apiClient(base, () => key);
    return (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> => api(path, body, { method });
  };
}

export async function json<T>(res: Response, status: number): Promise<T> {
  const body = (await res.json()) as T;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function expectProblem(res: Response, status: number, type: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(body).toMatchObject({ type: `urn:switchyard:problem:${type}`, status });
  expect(String(body.detail).length).toBeGreaterThan(10);
  return body;
}

/** The test config's acme routing plus a first route that sends label `to-carol` to carol. */
export function withCarolRoute(doc: RoutingDocument, name = 'to-carol'): RoutingDocument {
  const copy = structuredClone(doc);
  copy.policy.routes.unshift({
    name,
    when: { field: 'labels', contains: 'to-carol' },
    strategy: 'direct',
    assignee: 'carol',
  } as RoutingDocument['policy']['routes'][number]);
  // Room for every task a test sends her.
  for (const m of copy.members) if (m.id === 'carol') m.capacity = 100;
  return copy;
}

/** Post a task labelled `to-carol` to acme and return its decision once committed. */
export async function routeOne(base: string, store: SqlStore, externalId: string) {
  const res = await postEvent(base, '/hooks/acme/tickets', taskPayload({ externalId, labels: ['to-carol'] }));
  expect(res.status).toBe(202);
  await waitUntilSettled(store);
  const task = await waitFor(
    async () => (await store.listTasks('acme', { externalId, limit: 1 })).items[0],
    10_000,
    `task ${externalId}`,
  );
  const [decision] = await store.getDecisions('acme', [task.currentDecisionId]);
  if (!decision) throw new Error(`no decision for ${externalId}`);
  return decision;
}

export async function auditKinds(store: SqlStore, tenantId = 'acme'): Promise<string[]> {
  return (await store.readAudit(tenantId, 0, 10_000)).map((r) => r.kind);
}
