/**
 * Composes the pieces per role: intake (POST /hooks), the API, the pipeline and outbox workers.
 * One process runs all of them by default; on PostgreSQL any number of nodes may.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { operationRoutes } from './api/operations.js';
import { apiV1 } from './api/v1/index.js';
import type { AppConfig } from './config/model.js';
import type { RoutingDocument } from './config/tenant.js';
import { createFunctionHost } from './functions/function-host.js';
import { FunctionRegistry } from './functions/registry.js';
import { frameworkErrors, installProblemHandlers } from './http/error-handler.js';
import { GroupCommitter } from './intake/group-commit.js';
import { intakeRoutes } from './intake/hook-route.js';
import { secretProviderFor } from './intake/secret-provider.js';
import { Metrics, type MetricsJson } from './observability/metrics.js';
import { outboxTargets } from './outbox/targets/index.js';
import { OutboxWorker, type OutboxWorkerOptions } from './outbox/worker.js';
import { BacklogDrainer } from './pipeline/backlog.js';
import type { PipelineDeps } from './pipeline/process-event.js';
import { PipelineWorker, type WorkerOptions } from './pipeline/worker.js';
import { checkPinnedFunctions } from './policy/pinned-functions.js';
import { PolicyRegistry } from './policy/registry.js';
import type { Store } from './store/store.js';

export interface ServerOptions {
  config: AppConfig;
  store: Store;
  logger: Logger;
  /** Run the pipeline worker in this process (default true). */
  worker?: boolean;
  workerOptions?: WorkerOptions;
  /** The outbox worker runs wherever the pipeline worker does. */
  outboxOptions?: OutboxWorkerOptions;
  /** `operations` serves only /healthz, /readyz and /metrics (a worker-only node). Default `all`. */
  http?: 'all' | 'operations';
  clock?: () => Date;
  /** How often every node re-reads the active policy versions besides before each batch (default 5000 ms). */
  policyRefreshMs?: number;
  /** The watchdog: a store transaction open longer than this is logged and counted (default 5000 ms). */
  txWatchdogMs?: number;
  /**
   * The pipeline and outbox workers run elsewhere in this process (serve's pipeline thread,
   * src/cli/pipeline-thread-host.ts; `worker` is then false here): intake wakes it after each
   * commit, and /metrics includes its metrics.
   */
  remoteWorker?: RemoteWorker;
  /** Process-wide metrics (CPU, memory, event loop) in this server's registry (default true; false in the pipeline thread). */
  processMetrics?: boolean;
}

export interface RemoteWorker {
  wake(): void;
  metrics(): Promise<MetricsJson>;
  /** A function version was created here: the remote side's registry must not keep it as missing. */
  functionCreated(tenantId: string, name: string, version: number): void;
}

export const DEFAULT_TX_WATCHDOG_MS = 5_000;

export interface Server {
  app: FastifyInstance;
  metrics: Metrics;
  worker: PipelineWorker | null;
  outbox: OutboxWorker | null;
  drainer: BacklogDrainer;
  committer: GroupCommitter;
  /** The function versions this server looks up and caches. */
  functions: FunctionRegistry;
  /** The active policy version of each tenant, swapped into `config.tenants`. */
  policies: PolicyRegistry;
  close(): Promise<void>;
}

export async function buildServer(options: ServerOptions): Promise<Server> {
  const { config, store, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const metrics = new Metrics({ processMetrics: options.processMetrics ?? true });
  const storeLog = logger.child({ component: 'store' });
  const txWatchdogMs = options.txWatchdogMs ?? DEFAULT_TX_WATCHDOG_MS;
  store.watchSlowTransactions({
    limitMs: txWatchdogMs,
    onSlow: (t) => {
      metrics.slowTransactions.inc({ what: t.what });
      storeLog.warn(
        { what: t.what, detail: t.detail, openMs: t.openMs, limitMs: txWatchdogMs },
        `a store transaction (${t.what}${t.detail ? `, ${t.detail}` : ''}) has been open for ${t.openMs} ms`,
      );
    },
    onSlowEnded: (t) =>
      storeLog.warn({ what: t.what, detail: t.detail, openMs: t.openMs }, 'slow store transaction ended'),
  });
  // One registry (immutable versions, cached) and one sandbox per process, shared by API and pipeline.
  const functionRegistry = new FunctionRegistry(store, {
    clock,
    onCreated: (fn) => options.remoteWorker?.functionCreated(fn.tenantId, fn.name, fn.version),
  });
  const functionHost = createFunctionHost(functionRegistry);
  const policies = new PolicyRegistry(store, config, logger.child({ component: 'policy' }));
  await policies.bootstrap(clock());
  for (const tenant of config.tenants.values()) {
    const document = tenant.policyDocument as RoutingDocument;
    for (const p of await checkPinnedFunctions((t, ref) => functionRegistry.get(t, ref), tenant.id, document)) {
      // Not fatal: the functions may be uploaded after boot; until then their routes take their fallback.
      logger.warn({ tenant: tenant.id, at: p.pointer }, p.message);
    }
  }

  const pipeline: PipelineDeps = {
    store,
    config,
    metrics,
    log: logger.child({ component: 'pipeline' }),
    clock,
    refreshPolicies: () => policies.refresh(),
    functions: functionHost,
  };
  const drainer = new BacklogDrainer(pipeline);
  pipeline.onCapacityFreed = (tenantId) => {
    drainer
      .drain(tenantId)
      .catch((e) => pipeline.log.error({ err: e, tenant: tenantId }, 'draining the backlog failed'));
  };
  const worker = options.worker === false ? null : new PipelineWorker(pipeline, drainer, options.workerOptions);
  const outbox =
    options.worker === false
      ? null
      : new OutboxWorker(
          { store, metrics, log: logger.child({ component: 'outbox' }) },
          { clock, targets: outboxTargets(config), ...options.outboxOptions },
        );
  const committer = new GroupCommitter(store, (results) => {
    if (!results.some((r) => r.status === 'accepted')) return;
    worker?.wake();
    options.remoteWorker?.wake();
  });

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines cost throughput and repeat what /metrics counts; LOG_REQUESTS=1 turns them on.
    logController: new LogController({ disableRequestLogging: process.env.LOG_REQUESTS !== '1' }),
    // Webhook senders keep connections open; so does the bench.
    keepAliveTimeout: 65_000,
    frameworkErrors,
  });
  installProblemHandlers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchyard API',
        version: '1',
        description: 'Tasks, decisions, overrides and dead letters. Every route needs `Authorization: Bearer sy_…`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(operationRoutes, {
    store,
    metrics,
    ...(options.remoteWorker ? { remoteMetrics: () => (options.remoteWorker as RemoteWorker).metrics() } : {}),
  });
  if (options.http !== 'operations') {
    // One provider of intake's secrets per store, shared with the API's rotation routes.
    secretProviderFor(store, { log: logger.child({ component: 'secrets' }) });
    await app.register(intakeRoutes, { config, committer, metrics, store, clock });
    await app.register(apiV1, {
      prefix: '/api/v1',
      store,
      config,
      drainer,
      clock,
      policies,
      functions: functionRegistry,
      functionHost,
    });
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  // Nodes without a worker (and API reads between batches) pick up activations made elsewhere.
  const policyTimer = setInterval(() => {
    policies.refresh().catch((e) => logger.error({ err: e }, 'reading the active policy versions failed'));
  }, options.policyRefreshMs ?? 5_000);
  policyTimer.unref();

  worker?.start();
  outbox?.start();
  return {
    app,
    metrics,
    worker,
    outbox,
    drainer,
    committer,
    functions: functionRegistry,
    policies,
    async close() {
      clearInterval(policyTimer);
      await app.close();
      await committer.flushed();
      await worker?.stop();
      await outbox?.stop();
      await functionHost.close();
      await policies.idle();
    },
  };
}
