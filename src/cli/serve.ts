import { resolve } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { createLogger } from '../observability/logger.js';
import { buildServer } from '../server.js';
import { openStore } from '../store/open-store.js';
import { usage } from './exit.js';
import { storeLabel } from './options.js';
import { PipelineThread } from './pipeline-thread-host.js';

export interface ServeOptions {
  config: string;
  db: string;
  port: string;
  host: string;
  role: 'all' | 'web' | 'worker';
}

export async function serve(o: ServeOptions): Promise<void> {
  const logger = createLogger();
  const config = loadConfigFile(o.config);
  // Shared with the pipeline thread: on SQLite the two take turns writing without SQLite's busy-wait sleeps.
  const sqliteWriteLock = new SharedArrayBuffer(4);
  const store = await openStore(o.db, { sqliteWriteLock });
  const eventLeaseMs = leaseFromEnv('SWITCHYARD_EVENT_LEASE_MS');
  const outboxLeaseMs = leaseFromEnv('SWITCHYARD_OUTBOX_LEASE_MS');
  const txWatchdogMs = msFromEnv('SWITCHYARD_TX_WATCHDOG_MS', 1);
  // Role all: the pipeline and outbox workers get a thread of their own (SWITCHYARD_PIPELINE_THREAD=0: same thread).
  const thread =
    o.role === 'all' && process.env.SWITCHYARD_PIPELINE_THREAD !== '0'
      ? await PipelineThread.start(
          {
            config: o.config,
            db: o.db,
            sqliteWriteLock,
            ...(eventLeaseMs ? { eventLeaseMs } : {}),
            ...(outboxLeaseMs ? { outboxLeaseMs } : {}),
            ...(txWatchdogMs ? { txWatchdogMs } : {}),
          },
          logger,
        )
      : null;
  const server = await buildServer({
    config,
    store,
    logger,
    worker: o.role === 'worker' || (o.role === 'all' && !thread),
    ...(thread ? { remoteWorker: thread } : {}),
    http: o.role === 'worker' ? 'operations' : 'all',
    workerOptions: { leaseMs: eventLeaseMs },
    outboxOptions: { leaseMs: outboxLeaseMs },
    txWatchdogMs,
  });
  const address = await server.app.listen({ port: Number(o.port), host: o.host });
  // One line that says what this process serves: the config file, the store and the address (port).
  const configFile = resolve(o.config);
  const storeAt = storeLabel(o.db);
  logger.info(
    { address, config: configFile, store: storeAt, role: o.role, tenants: [...config.tenants.keys()] },
    `switchyard listening on ${address} (role ${o.role}), config ${configFile}, store ${storeAt}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and events');
    await server.close();
    await thread?.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * SWITCHYARD_EVENT_LEASE_MS: how long events claimed by a crashed node wait before another node retries them.
 * SWITCHYARD_OUTBOX_LEASE_MS: the same for outbox rows (default: the attempt timeout + 30 s).
 */
function leaseFromEnv(name: string): number | undefined {
  return msFromEnv(name, 100);
}

/** SWITCHYARD_TX_WATCHDOG_MS and the leases: an integer number of milliseconds, at least `min`. */
function msFromEnv(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < min) usage(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return ms;
}
