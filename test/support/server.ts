/**
 * A real Switchyard server on 127.0.0.1 over a fresh real store, plus helpers to sign and
 * post events the way a Standard Webhooks sender does (with the `standardwebhooks` package,
 * an implementation independent of ours).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll } from 'vitest';
import { createApiKey } from '../../src/api/api-keys.js';
import { parseConfig } from '../../src/config/load.js';
import type { AppConfig } from '../../src/config/model.js';
import type { OutboxWorkerOptions } from '../../src/outbox/worker.js';
import type { WorkerOptions } from '../../src/pipeline/worker.js';
import { buildServer, type Server } from '../../src/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import type { Store } from '../../src/store/store.js';
import { SECRETS } from './secrets.js';
import { freshStoreUrl, type StoreKind } from './stores.js';

export const TEST_CONFIG_PATH = new URL('../fixtures/test-config.yaml', import.meta.url).pathname;
export interface TestServer {
  base: string;
  store: SqlStore;
  storeUrl: string;
  server: Server;
  config: AppConfig;
  close(): Promise<void>;
}

export interface TestServerOptions {
  worker?: boolean;
  configYaml?: string;
  storeUrl?: string;
  outboxOptions?: OutboxWorkerOptions;
  clock?: () => Date;
  policyRefreshMs?: number;
  txWatchdogMs?: number;
  /** Merged over the tests' default (pollMs 20). */
  workerOptions?: WorkerOptions;
  /** What the server is given instead of the store (a test switching one of its paths off); `store` stays the real one. */
  wrapStore?: (store: SqlStore) => Store;
}

export async function startTestServer(kind: StoreKind, options: TestServerOptions = {}): Promise<TestServer> {
  const storeUrl = options.storeUrl ?? (await freshStoreUrl(kind));
  const store = await openStore(storeUrl);
  const config = parseConfig(options.configYaml ?? readFileSync(TEST_CONFIG_PATH, 'utf8'), 'test-config.yaml');
  const server = await buildServer({
    config,
    store: options.wrapStore ? options.wrapStore(store) : store,
    logger: pino({ level: 'silent' }),
    worker: options.worker,
    workerOptions: { pollMs: 20, ...options.workerOptions },
    outboxOptions: { pollMs: 20, ...options.outboxOptions },
    clock: options.clock,
    policyRefreshMs: options.policyRefreshMs,
    txWatchdogMs: options.txWatchdogMs,
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

export interface ApiCallOptions {
  /** Default: GET without a body, POST with one. */
  method?: string;
  /** Another key than the client's. */
  key?: string;
}

/**
 * The one /api/v1 client: `api(path, body?, { method?, key? })` with a bearer key, the JSON body
 * sent as such. `base` and `key` are read at each call (they are set in beforeAll).
 */
export function apiClient(base: () => string, key: () => string) {
  return (path: string, body?: unknown, o: ApiCallOptions = {}) =>
    fetch(`${base()}/api/v1${path}`, {
      method: o.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${o.key ?? key()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
export type ApiClient = ReturnType<typeof apiClient>;

/** A response's status, content type and JSON body (null when empty); `seen` collects every body read. */
export async function jsonOf(res: Response, seen?: string[]) {
  const text = await res.text();
  seen?.push(text);
  return { status: res.status, contentType: res.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}
export type JsonAnswer = Awaited<ReturnType<typeof jsonOf>>;

export interface UseTestServerOptions<T extends string> extends TestServerOptions {
  /** Tenants that get an API key (named "test") once the server is up; default `['acme']`. */
  keys?: readonly T[];
}

export interface TestServerHandle<T extends string> {
  /** The running server: its fields are filled in by beforeAll (read them in hooks and tests). */
  readonly server: TestServer;
  /** An API key per tenant of `keys`, filled in by beforeAll. */
  readonly keys: Record<T, string>;
  /** The first tenant's key. */
  readonly key: string;
  /** apiClient on this server with `key`. */
  readonly api: ApiClient;
  /** Like `api`, answering jsonOf(response); `as` names the tenant whose key to use (default the first). */
  readonly json: (path: string, body?: unknown, o?: { method?: string; as?: T }) => Promise<JsonAnswer>;
  /** Every response body `json` read, e.g. to check that no secret ever left the server. */
  readonly seen: string[];
}

/**
 * In a describe block: a test server over a fresh `kind` store, started in beforeAll (after the
 * beforeAll hooks registered before this call, so options may be a function of what they made)
 * and closed in afterAll.
 */
export function useTestServer<T extends string = 'acme'>(
  kind: StoreKind,
  options: UseTestServerOptions<T> | (() => UseTestServerOptions<T>) = {},
): TestServerHandle<T> {
  const server = {} as TestServer;
  const keys = {} as Record<T, string>;
  let first = '' as T;
  const handle: TestServerHandle<T> = {
    server,
    keys,
    get key() {
      return keys[first];
    },
    api: apiClient(
      () => server.base,
      () => handle.key,
    ),
    json: async (path, body, o = {}) =>
      jsonOf(await handle.api(path, body, { method: o.method, key: keys[o.as ?? first] }), handle.seen),
    seen: [],
  };
  beforeAll(async () => {
    const { keys: tenants = ['acme' as T], ...start } = typeof options === 'function' ? options() : options;
    Object.assign(server, await startTestServer(kind, start));
    first = tenants[0] as T;
    for (const tenant of tenants) keys[tenant] = (await createApiKey(server.store, tenant, 'test')).key;
  });
  afterAll(async () => {
    await server.close?.();
  });
  return handle;
}
