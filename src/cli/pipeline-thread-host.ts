/**
 * The main thread's handle on the pipeline thread (pipeline-thread.ts): start it and wait
 * until its workers run, wake it after intake commits, fetch its metrics for /metrics, stop
 * it on shutdown. If it dies, the process exits: a node that keeps accepting events it can
 * never route is worse than one its supervisor restarts (every acked event is in the store).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { MetricsJson } from '../observability/metrics.js';
import type { RemoteWorker } from '../server.js';

export interface PipelineThreadData {
  config: string;
  db: string;
  sqliteWriteLock: SharedArrayBuffer;
  eventLeaseMs?: number;
  outboxLeaseMs?: number;
  txWatchdogMs?: number;
}

export type ToThread =
  | { type: 'wake' }
  | { type: 'metrics'; id: number }
  | { type: 'function-created'; tenantId: string; name: string; version: number }
  | { type: 'stop' };
type FromThread =
  | { type: 'ready' }
  | { type: 'metrics'; id: number; metrics?: MetricsJson; error?: string }
  | { type: 'stopped' };

const METRICS_TIMEOUT_MS = 2_000;
const STOP_TIMEOUT_MS = 30_000;

export class PipelineThread implements RemoteWorker {
  private nextId = 0;
  private readonly waiting = new Map<number, (m: MetricsJson) => void>();
  private stopping = false;
  private wakePosted = false;

  private constructor(
    private readonly worker: Worker,
    private readonly log: Logger,
  ) {
    worker.on('message', (m: FromThread) => {
      if (m.type !== 'metrics') return;
      this.waiting.get(m.id)?.(m.metrics ?? []);
      this.waiting.delete(m.id);
    });
  }

  /** Resolves once the thread's workers run; rejects if it fails to start. */
  static start(data: PipelineThreadData, log: Logger): Promise<PipelineThread> {
    // The thread loads TypeScript through tsx like the main thread. Inheriting tsx's --import
    // flags is not enough (the thread's entry can load before the hooks are registered), so
    // the entry registers them itself, then imports pipeline-thread.ts.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./pipeline-thread.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    const worker = new Worker(code, { eval: true, workerData: data, execArgv: [] });
    return new Promise((resolve, reject) => {
      const failed = (e: unknown) => reject(e instanceof Error ? e : new Error(`pipeline thread exited with ${e}`));
      worker.once('error', failed);
      worker.once('exit', failed);
      worker.on('message', function ready(m: FromThread) {
        if (m.type !== 'ready') return;
        worker.off('message', ready);
        worker.off('error', failed);
        worker.off('exit', failed);
        const thread = new PipelineThread(worker, log);
        worker.on('error', (e) => thread.died(e));
        worker.on('exit', (code) => thread.died(new Error(`exit code ${code}`)));
        resolve(thread);
      });
    });
  }

  /** Several commits in one tick post one wake. */
  wake(): void {
    if (this.wakePosted) return;
    this.wakePosted = true;
    queueMicrotask(() => {
      this.wakePosted = false;
      this.worker.postMessage({ type: 'wake' } satisfies ToThread);
    });
  }

  /** An upload through the API (main thread): the thread's registry looks the version up afresh. */
  functionCreated(tenantId: string, name: string, version: number): void {
    this.worker.postMessage({ type: 'function-created', tenantId, name, version } satisfies ToThread);
  }

  /** The thread's metrics (prom-client JSON); none if it does not answer in time. */
  metrics(): Promise<MetricsJson> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.log.warn('the pipeline thread did not send its metrics in time');
        resolve([]);
      }, METRICS_TIMEOUT_MS);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.worker.postMessage({ type: 'metrics', id } satisfies ToThread);
    });
  }

  /** Finish the batches and deliveries in flight, then end the thread (bounded). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const stopped = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromThread) => m.type === 'stopped' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'stop' } satisfies ToThread);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }

  private died(e: unknown): void {
    if (this.stopping) return;
    this.log.fatal({ err: e }, 'the pipeline thread died; exiting so the supervisor restarts this node');
    process.exit(1);
  }
}
