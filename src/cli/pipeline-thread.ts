/**
 * `serve` (role all) runs the pipeline and outbox workers here, in a worker thread with its
 * own store connection, so their CPU (normalize, decide, hash, build rows, SQLite's work) is
 * not on the event loop that answers intake and the API. The main thread wakes it after
 * each intake commit and asks it for its metrics when /metrics is scraped
 * (PipelineThread in pipeline-thread-host.ts). It is the same code as `serve --role worker`,
 * minus the HTTP listener.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfigFile } from '../config/load.js';
import { createLogger } from '../observability/logger.js';
import { buildServer } from '../server.js';
import { openStore } from '../store/open-store.js';
import type { PipelineThreadData, ToThread } from './pipeline-thread-host.js';

const port = parentPort;
if (!port) throw new Error('pipeline-thread.ts runs only as a worker thread');
const data = workerData as PipelineThreadData;
const logger = createLogger().child({ thread: 'pipeline' });
const store = await openStore(data.db, { create: false, sqliteWriteLock: data.sqliteWriteLock });
const server = await buildServer({
  config: loadConfigFile(data.config),
  store,
  logger,
  worker: true,
  http: 'operations',
  processMetrics: false,
  workerOptions: { ...(data.eventLeaseMs ? { leaseMs: data.eventLeaseMs } : {}) },
  outboxOptions: { ...(data.outboxLeaseMs ? { leaseMs: data.outboxLeaseMs } : {}) },
  ...(data.txWatchdogMs ? { txWatchdogMs: data.txWatchdogMs } : {}),
});

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'wake':
      server.worker?.wake();
      return;
    case 'function-created':
      server.functions.forgetMissing(m.tenantId, m.name, m.version);
      return;
    case 'metrics':
      server.metrics.registry
        .getMetricsAsJSON()
        .then((metrics) => port.postMessage({ type: 'metrics', id: m.id, metrics }))
        .catch((e) => port.postMessage({ type: 'metrics', id: m.id, error: String(e) }));
      return;
    case 'stop':
      server
        .close()
        .then(() => store.close())
        .then(() => port.postMessage({ type: 'stopped' }))
        .catch((e) => {
          logger.error({ err: e }, 'stopping the pipeline thread failed');
          port.postMessage({ type: 'stopped' });
        });
      return;
  }
});
port.postMessage({ type: 'ready' });
