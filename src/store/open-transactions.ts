/**
 * The store's open transactions: what each is doing, since when, and in which async context.
 *
 * The guard: while a transaction is open, every store access from the code running inside it
 * must go through its handle. A query through the main connection from that async context
 * would, on SQLite (one connection behind Kysely's mutex), wait for the very transaction that
 * waits for it: the whole process freezes. The drivers call `assertOutside()` where Kysely
 * acquires a connection for the main handle (queries on the transaction's handle do not
 * acquire one), so such a query throws StrayStoreAccess at once instead. Work from other async
 * contexts (intake's group commit, API requests) is not affected: it waits its turn as usual.
 * Cost: one AsyncLocalStorage lookup per query on the main handle.
 *
 * The watchdog: a transaction open longer than the limit is reported once while it is still
 * open (a stuck one never ends), by one timer for all of them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Driver } from 'kysely';
import { StrayStoreAccess } from './errors.js';

/** What a transaction is doing: `what` is its kind (a metric label), `detail` the rest (logged). */
export interface TransactionLabel {
  /** E.g. "pipeline batch", "backlog drain", "commitOverride". */
  what: string;
  /** E.g. "12 events", "tenant acme". */
  detail?: string;
}

interface OpenTransaction extends TransactionLabel {
  owner: OpenTransactions;
  startedAt: number;
  open: boolean;
  reported: boolean;
}

export interface SlowTransaction extends TransactionLabel {
  /** How long it had been open when reported. */
  openMs: number;
}

export interface TransactionWatch {
  limitMs: number;
  /** A transaction passed the limit and is still open. */
  onSlow(t: SlowTransaction): void;
  /** A transaction reported as slow ended (committed or rolled back) after `openMs`. */
  onSlowEnded?(t: SlowTransaction): void;
}

const context = new AsyncLocalStorage<OpenTransaction>();

export class OpenTransactions {
  private readonly open = new Set<OpenTransaction>();
  private watch: TransactionWatch | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Run `fn` (the body of a transaction that has begun) as the open transaction `what`: store
   * accesses through the main handle from inside it throw; the watchdog sees it until it ends.
   */
  async run<T>(label: TransactionLabel, fn: () => Promise<T>): Promise<T> {
    const t: OpenTransaction = { ...label, owner: this, startedAt: this.now(), open: true, reported: false };
    this.open.add(t);
    try {
      return await context.run(t, fn);
    } finally {
      // Work started inside and still running later (a timer, a leaked promise) is no longer "inside".
      t.open = false;
      this.open.delete(t);
      if (t.reported) this.watch?.onSlowEnded?.({ ...label, openMs: Math.round(this.now() - t.startedAt) });
    }
  }

  /** The driver, checking where Kysely acquires a connection for the main handle (each dialect wraps its own). */
  guard(driver: Driver): Driver {
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = () => {
      this.assertOutside();
      return acquire();
    };
    return driver;
  }

  assertOutside(): void {
    const t = context.getStore();
    if (t?.open && t.owner === this) throw new StrayStoreAccess(t.detail ? `${t.what}, ${t.detail}` : t.what);
  }

  /** Report transactions open longer than `watch.limitMs` (checked every limit/4, at most every second). */
  watchSlow(watch: TransactionWatch): void {
    this.stopWatching();
    this.watch = watch;
    const every = Math.max(10, Math.min(1_000, Math.floor(watch.limitMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watch = undefined;
  }

  private check(): void {
    const watch = this.watch;
    if (!watch) return;
    const now = this.now();
    for (const t of this.open) {
      const openMs = now - t.startedAt;
      if (t.reported || openMs < watch.limitMs) continue;
      t.reported = true;
      watch.onSlow({ what: t.what, ...(t.detail ? { detail: t.detail } : {}), openMs: Math.round(openMs) });
    }
  }
}
