/**
 * Group commit for intake. Requests hand their event to submit(); while one transaction is
 * in flight the next requests queue up, and the moment it commits they all go in the next
 * transaction together. One fsync then covers a whole batch, so "a 2xx means durable" does
 * not cost a disk flush per request. Each caller's promise settles only after its batch
 * committed (or failed, in which case every caller in it gets the error and answers 503).
 */
import type { InsertEventResult, NewEvent, Store } from '../store/store.js';

interface Pending {
  event: NewEvent;
  resolve: (r: InsertEventResult) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly onCommitted: (results: InsertEventResult[], batch: NewEvent[]) => void,
    private readonly maxBatch = 512,
  ) {}

  submit(event: NewEvent): Promise<InsertEventResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.flushing) this.idle = this.drain();
    });
  }

  /** Resolves once everything submitted so far is committed. */
  flushed(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      // Let requests that arrived in the same tick join the first batch.
      await new Promise<void>((r) => setImmediate(r));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.store.insertEvents(batch.map((p) => p.event));
          for (const [i, p] of batch.entries()) p.resolve(results[i] as InsertEventResult);
          this.onCommitted(
            results,
            batch.map((p) => p.event),
          );
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
