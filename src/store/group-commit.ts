/**
 * Group commit. Callers hand in items one by one; while one flush (one transaction) is in
 * flight the next items queue up, and the moment it commits they all go in the next flush
 * together. One fsync then covers a whole batch instead of one per item. Each caller's
 * promise settles only after its own batch committed (or failed: every caller in it gets the
 * error). Used by intake for events and by the outbox for completed deliveries.
 */
interface Pending<I, O> {
  item: I;
  resolve: (r: O) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private flushing = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    /** Writes the batch in one transaction; one result per item, in order. */
    private readonly flush: (batch: I[]) => Promise<O[]>,
    private readonly onCommitted: (results: O[], batch: I[]) => void = () => {},
    private readonly maxBatch = 512,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
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
      // Let items that arrived in the same tick join the first batch.
      await new Promise<void>((r) => setImmediate(r));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const items = batch.map((p) => p.item);
        try {
          const results = await this.flush(items);
          for (const [i, p] of batch.entries()) p.resolve(results[i] as O);
          this.onCommitted(results, items);
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
