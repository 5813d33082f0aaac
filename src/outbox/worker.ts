/**
 * The outbox worker: leases due `pending` rows (safely across nodes, see claimDeliveries),
 * delivers each through its target with a per-attempt timeout, and settles the attempt:
 * delivered, retried later (backoff + jitter, Retry-After honoured) or dead (a dead letter,
 * an audit entry and a `delivery.dead` notice for subscribers). It never touches a decision
 * or a task (invariant 5). Polls; several workers on one PostgreSQL never share an attempt.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { type AttemptOutcome, type BreakerOptions, CircuitBreaker } from '../reliability/circuit-breaker.js';
import { PermanentError, RetryableError } from '../reliability/errors.js';
import { DEFAULT_RETRY_POLICY, nextRetry, type RetryPolicy } from '../reliability/retry.js';
import { GroupCommit } from '../store/group-commit.js';
import { newId } from '../store/ids.js';
import type { ClaimedDelivery, OutboxRowDraft, OutboxStore } from '../store/outbox-store.js';
import type { SubscriptionStore } from '../store/subscription-store.js';
import { TARGETS, targetName } from './targets/index.js';
import { subscribesTo } from './targets/subscribers.js';
import type { OutboxTarget } from './targets/types.js';
import { type SubscriptionReader, tickSubscriptions } from './tick-subscriptions.js';

export interface OutboxWorkerOptions {
  batchSize?: number;
  pollMs?: number;
  /** Each attempt is aborted after this long (default 10 s). */
  attemptTimeoutMs?: number;
  /** How long a claimed row stays ours (default: the attempt timeout + 30 s). */
  leaseMs?: number;
  /** Retry policy for every target, then per target name (`webhook`, `subscribers`…). */
  retry?: Partial<RetryPolicy>;
  retryByTarget?: Record<string, Partial<RetryPolicy>>;
  /** Circuit breaker per target (default 5 consecutive transient failures, 30 s cool-down); false: none. */
  breaker?: Partial<BreakerOptions> | false;
  /** Injectable for tests: jitter source and clock. */
  random?: () => number;
  clock?: () => Date;
  targets?: Record<string, OutboxTarget>;
}

export interface OutboxDeps {
  store: OutboxStore & SubscriptionStore;
  metrics: Metrics;
  log: Logger;
}

export class OutboxWorker {
  readonly owner = `${hostname()}:${process.pid}:outbox:${newId()}`;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly stopping = new AbortController();
  readonly breaker: CircuitBreaker | null;
  /** Completed deliveries of concurrent attempts commit together: one fsync per batch, not per row. */
  private readonly completions: GroupCommit<{ row: ClaimedDelivery; now: string; then: OutboxRowDraft[] }, boolean>;
  private readonly o: Required<Omit<OutboxWorkerOptions, 'retry' | 'retryByTarget' | 'leaseMs' | 'breaker'>> & {
    leaseMs: number;
  };
  private readonly claimTargets: string[];

  constructor(
    private readonly deps: OutboxDeps,
    private readonly options: OutboxWorkerOptions = {},
  ) {
    this.completions = new GroupCommit((items) => deps.store.completeDeliveries(items));
    const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.o = {
      batchSize: options.batchSize ?? 32,
      pollMs: options.pollMs ?? 250,
      attemptTimeoutMs,
      leaseMs: options.leaseMs ?? attemptTimeoutMs + 30_000,
      random: options.random ?? Math.random,
      clock: options.clock ?? (() => new Date()),
      targets: options.targets ?? TARGETS,
    };
    this.claimTargets = Object.keys(this.o.targets).flatMap((name) => [name, `${name}:`]);
    const { metrics } = deps;
    this.breaker =
      options.breaker === false
        ? null
        : new CircuitBreaker(
            options.breaker,
            () => this.o.clock().getTime(),
            (target, paused) => {
              metrics.targetPaused.set({ target }, paused ? 1 : 0);
              metrics.pausedTargets.set(this.breaker?.pausedTargets().length ?? 0);
              deps.log.warn({ target, paused }, paused ? 'outbox target paused' : 'outbox target resumed');
            },
          );
  }

  policyFor(name: string): RetryPolicy {
    return { ...DEFAULT_RETRY_POLICY, ...this.options.retry, ...this.options.retryByTarget?.[name] };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake();
    await this.loop;
  }

  /** One claim-and-deliver round; the number of rows attempted. */
  async tick(): Promise<number> {
    const { store } = this.deps;
    let claimed: ClaimedDelivery[] = [];
    try {
      claimed = await store.claimDeliveries(
        this.owner,
        this.claimTargets,
        this.o.batchSize,
        this.o.leaseMs,
        this.o.clock(),
      );
    } catch (e) {
      this.deps.log.error({ err: e }, 'claiming outbox rows failed');
    }
    // Read once per tenant for the whole batch: a change made through the API shows on the next tick.
    const subscriptions = tickSubscriptions(store);
    await Promise.all(claimed.map((row) => this.attempt(row, subscriptions)));
    return claimed.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = await this.tick();
      if (n < this.o.batchSize && this.running) await this.sleep();
    }
  }

  private async attempt(row: ClaimedDelivery, subscriptions: SubscriptionReader): Promise<void> {
    const admission = this.breaker?.admit(row.target) ?? { allowed: true };
    if (!admission.allowed) {
      // Paused: put back untried, due when the pause ends (a lost lease just means someone else has it).
      await this.deps.store
        .postponeDelivery(row, new Date(admission.retryAt).toISOString())
        .catch((e) => this.deps.log.error({ err: e, outbox: row.id }, 'putting back a paused row failed'));
      return;
    }
    let outcome: AttemptOutcome = 'neutral';
    try {
      outcome = await this.deliver(row, subscriptions);
    } finally {
      this.breaker?.record(row.target, outcome);
    }
  }

  /** One attempt; what it says about the target (for the breaker). */
  private async deliver(row: ClaimedDelivery, subscriptions: SubscriptionReader): Promise<AttemptOutcome> {
    const name = targetName(row.target);
    const target = this.o.targets[name];
    const { metrics, log } = this.deps;
    metrics.deliveryAttempts.inc({ target: name });
    const then: OutboxRowDraft[] = [];
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.o.attemptTimeoutMs)]);
    try {
      try {
        if (!target) throw new PermanentError(`no target ${name}`);
        await target.deliver(row, {
          store: subscriptions,
          signal,
          now: this.o.clock(),
          attemptTimeoutMs: this.o.attemptTimeoutMs,
          then,
        });
      } catch (e) {
        // A permanent failure means the receiver answered (or the row is wrong): not a sign it is down.
        const outcome: AttemptOutcome = this.stopping.signal.aborted
          ? 'neutral'
          : e instanceof PermanentError
            ? 'success'
            : 'failure';
        await this.failed(row, name, e, subscriptions);
        return outcome;
      }
      const now = this.o.clock();
      if (await this.completions.submit({ row, now: now.toISOString(), then })) {
        metrics.deliveries.inc({ target: name, outcome: 'delivered' });
        const lag = (now.getTime() - Date.parse(row.createdAt)) / 1000;
        if (lag >= 0) metrics.notificationLag.observe({ target: name }, lag);
      }
      return 'success';
    } catch (e) {
      // The store failed: the lease runs out and the row is claimed again (at least once).
      log.error({ err: e, outbox: row.id, target: row.target }, 'settling an outbox attempt failed');
      return 'neutral';
    }
  }

  private async failed(
    row: ClaimedDelivery,
    name: string,
    e: unknown,
    subscriptions: SubscriptionReader,
  ): Promise<void> {
    const { store, metrics, log } = this.deps;
    const now = this.o.clock();
    const message = e instanceof Error ? e.message : String(e);
    if (this.stopping.signal.aborted) {
      await store.retryDeliveryLater(row, 'worker stopped mid-attempt', now.toISOString());
      return;
    }
    let reason: string;
    if (e instanceof PermanentError) reason = `permanent failure: ${message}`;
    else {
      const retryAfterMs = e instanceof RetryableError ? e.retryAfterMs : undefined;
      const verdict = nextRetry(this.policyFor(name), row.attempts, this.o.random, retryAfterMs);
      if (verdict.retry) {
        const at = new Date(now.getTime() + verdict.delayMs).toISOString();
        if (await store.retryDeliveryLater(row, message, at))
          metrics.deliveries.inc({ target: name, outcome: 'retried' });
        return;
      }
      reason = `${verdict.reason}; last error: ${message}`;
    }
    const notice = await this.deadNotice(row, reason, subscriptions);
    if (await store.killDelivery(row, reason, now.toISOString(), notice)) {
      metrics.deliveries.inc({ target: name, outcome: 'dead' });
      metrics.deliveryDeadLetters.inc({ tenant: row.tenantId, target: name });
      log.warn({ outbox: row.id, target: row.target, reason }, 'delivery dead-lettered');
    }
  }

  /** A `delivery.dead` row for subscribers, if any subscribe to it (never for a dead notice itself: no loops). */
  private async deadNotice(
    row: ClaimedDelivery,
    reason: string,
    subscriptions: SubscriptionReader,
  ): Promise<OutboxRowDraft | null> {
    if (row.topic === 'delivery.dead') return null;
    const subs = await subscriptions.listSubscriptions(row.tenantId);
    if (!subs.some((s) => subscribesTo(s.events, 'delivery.dead'))) return null;
    return {
      topic: 'delivery.dead',
      target: 'subscribers',
      idempotencyKey: `${row.idempotencyKey}:dead:${newId()}`,
      payload: {
        outboxId: row.id,
        decisionId: row.decisionId,
        topic: row.topic,
        target: row.target,
        idempotencyKey: row.idempotencyKey,
        attempts: row.attempts,
        reason,
      },
    };
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.o.pollMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
