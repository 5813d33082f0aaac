/**
 * A real Switchyard server on 127.0.0.1 over a fresh real store, plus helpers to sign and
 * post events the way a Standard Webhooks sender does (with the `standardwebhooks` package,
 * an implementation independent of ours).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { parseConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/model.js';
import type { OutboxWorkerOptions } from '../../src/outbox/worker.js';
import { buildServer, type Server } from '../../src/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import { freshStoreUrl, type StoreKind } from './stores.js';

export const TEST_CONFIG_PATH = new URL('../fixtures/test-config.yaml', import.meta.url).pathname;
export const SECRETS = {
  current: 'whsec_dGVzdC1zZWNyZXQtY3VycmVudC0wMDAx',
  previous: 'whsec_dGVzdC1zZWNyZXQtcHJldmlvdXMtMDAy',
  expired: 'whsec_dGVzdC1zZWNyZXQtZXhwaXJlZC0wMDAz',
  helpdesk: 'whsec_dGVzdC1zZWNyZXQtaGVscGRlc2stMDA0',
  globex: 'whsec_Z2xvYmV4LXNlY3JldC0wMDAxLXh5eg==',
  unknown: 'whsec_bm90LWEtc2VjcmV0LW9mLWFueW9uZQ==',
};

export interface TestServer {
  base: string;
  store: SqlStore;
  storeUrl: string;
  server: Server;
  config: AppConfig;
  close(): Promise<void>;
}

export async function startTestServer(
  kind: StoreKind,
  options: {
    worker?: boolean;
    configYaml?: string;
    storeUrl?: string;
    outboxOptions?: OutboxWorkerOptions;
    clock?: () => Date;
    policyRefreshMs?: number;
  } = {},
): Promise<TestServer> {
  const storeUrl = options.storeUrl ?? (await freshStoreUrl(kind));
  const store = await openStore(storeUrl);
  const config = parseConfig(options.configYaml ?? readFileSync(TEST_CONFIG_PATH, 'utf8'), 'test-config.yaml');
  const server = await buildServer({
    config,
    store,
    logger: pino({ level: 'silent' }),
    worker: options.worker,
    workerOptions: { pollMs: 20 },
    outboxOptions: { pollMs: 20, ...options.outboxOptions },
    clock: options.clock,
    policyRefreshMs: options.policyRefreshMs,
  });
  const base = await server.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    base,
    store,
    storeUrl,
    server,
    config,
    async close() {
      await server.close();
      await store.close();
    },
  };
}

export interface SignedOptions {
  secret?: string;
  id?: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
}

/** Headers a Standard Webhooks sender would send for this body. */
export function signedHeaders(body: string, o: SignedOptions = {}): Record<string, string> {
  const id = o.id ?? `msg_${randomUUID()}`;
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = new Webhook(o.secret ?? SECRETS.current).sign(id, new Date(timestamp * 1000), body);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  };
}

export async function postEvent(
  base: string,
  path: string,
  payload: unknown,
  o: SignedOptions = {},
): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: signedHeaders(body, o), body });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    contentType: res.headers.get('content-type'),
  };
}

/** A valid canonical Task payload for the identity (no transform) integration. */
export function taskPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { externalId: `T-${randomUUID()}`, title: 'Something broke', labels: ['payments'], ...overrides };
}

/** Poll until `check` returns a value (bounded: at most `timeoutMs`). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  label = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Counts of the rows an event can lead to, for "nothing written" assertions. */
export async function rowCounts(store: SqlStore): Promise<Record<string, number>> {
  const tables = ['events', 'tasks', 'decisions', 'outbox', 'audit_log', 'dead_letters'] as const;
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/** Wait (bounded) until no event is pending or processing: the pipeline has caught up. */
export function waitUntilSettled(store: SqlStore, timeoutMs = 20_000): Promise<true> {
  return waitFor(
    async () => {
      const open = await store.db
        .selectFrom('events')
        .select('id')
        .where('status', 'in', ['pending', 'processing'])
        .execute();
      return open.length === 0;
    },
    timeoutMs,
    'every event to be decided',
  );
}

/** GET (no body) or POST (JSON body) to /api/v1 with a bearer key; both read lazily (set in beforeAll). */
export function apiClient(base: () => string, key: () => string) {
  return (path: string, body?: unknown) =>
    fetch(`${base()}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${key()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
