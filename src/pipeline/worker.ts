/**
 * The pipeline worker: claims pending events in arrival order and routes each claimed batch
 * in one transaction.
 * Woken at once by intake in the same process; polls as well, for events that arrived on
 * another node or whose lease expired after a crash.
 */
import { hostname } from 'node:os';
import { newId } from '../store/ids.js';
import type { BacklogDrainer } from './backlog.js';
import { type PipelineDeps, processBatch } from './process-event.js';

export interface WorkerOptions {
  batchSize?: number;
  /** How long a claimed event stays ours before another worker may take it over. */
  leaseMs?: number;
  pollMs?: number;
  /** How often to re-check the backlog for time-based changes (shifts, working hours, leave ending). */
  drainEveryMs?: number;
}

export class PipelineWorker {
  readonly owner = `${hostname()}:${process.pid}:${newId()}`;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly drainEveryMs: number;
  private lastDrain = 0;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly drainer: BacklogDrainer,
    options: WorkerOptions = {},
  ) {
    this.drainEveryMs = options.drainEveryMs ?? 15_000;
    this.batchSize = options.batchSize ?? 64;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 250;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let claimed: Awaited<ReturnType<PipelineDeps['store']['claimEvents']>> = [];
      try {
        claimed = await this.deps.store.claimEvents(this.owner, this.batchSize, this.leaseMs, this.deps.clock());
      } catch (e) {
        this.deps.log.error({ err: e }, 'claiming events failed');
      }
      if (!this.running) {
        for (const event of claimed)
          await this.deps.store.releaseEvent(event, 'worker stopped', this.deps.clock()).catch(() => {});
        break;
      }
      const drainDue = Date.now() - this.lastDrain >= this.drainEveryMs;
      // One query for every tenant's active policy version, before routing a batch or draining the backlog.
      if (claimed.length > 0 || drainDue) await this.refreshPolicies();
      await processBatch(this.deps, claimed);
      if (drainDue) {
        this.lastDrain = Date.now();
        await this.drainer.drainAll();
      }
      // Let intake answer the requests that arrived meanwhile: SQLite commits block the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (claimed.length < this.batchSize && !this.woken && this.running) await this.sleep();
    }
  }

  /** A failed refresh keeps the versions we have: the batch still routes (and its commit tells if the store is down). */
  private async refreshPolicies(): Promise<void> {
    try {
      await this.deps.refreshPolicies?.();
    } catch (e) {
      this.deps.log.error({ err: e }, 'reading the active policy versions failed; routing with the ones loaded');
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}
