import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** A registry's metrics as prom-client JSON (what AggregatorRegistry.aggregate merges). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** One registry per server instance, so several servers in one test process do not collide. */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsReceived = new Counter({
    name: 'switchyard_events_received_total',
    help: 'Events accepted by intake (new, durable)',
    labelNames: ['tenant', 'integration'],
    registers: [this.registry],
  });
  readonly eventsDuplicate = new Counter({
    name: 'switchyard_events_duplicate_total',
    help: 'Deliveries recognised as duplicates and answered 200',
    labelNames: ['tenant', 'integration'],
    registers: [this.registry],
  });
  readonly eventsRejected = new Counter({
    name: 'switchyard_events_rejected_total',
    help: 'Deliveries rejected with a 4xx, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'switchyard_decisions_total',
    help: 'Decisions committed, by outcome',
    labelNames: ['tenant', 'outcome'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'switchyard_dead_letters_total',
    help: 'Events sent to the dead letters',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly decisionLatency = new Histogram({
    name: 'switchyard_decision_latency_seconds',
    help: 'From intake receiving the event to its decision being committed',
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly decideDuration = new Histogram({
    name: 'switchyard_decide_duration_seconds',
    help: 'Time spent in the pure decide() call',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01],
    registers: [this.registry],
  });
  readonly batchFallbacks = new Counter({
    name: 'switchyard_pipeline_batch_fallbacks_total',
    help: 'Pipeline batches whose buffered commit failed and were committed again event by event, by why',
    labelNames: ['why'],
    registers: [this.registry],
  });
  readonly commitConflicts = new Counter({
    name: 'switchyard_commit_conflicts_total',
    help: 'Commits rolled back because the snapshot went stale; the event was decided again',
    labelNames: ['why'],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'switchyard_outbox_deliveries_total',
    help: 'Outbox delivery attempts by target and outcome (delivered, retried, dead)',
    labelNames: ['target', 'outcome'],
    registers: [this.registry],
  });
  readonly deliveryAttempts = new Counter({
    name: 'switchyard_outbox_attempts_total',
    help: 'Outbox delivery attempts started, by target',
    labelNames: ['target'],
    registers: [this.registry],
  });
  readonly notificationLag = new Histogram({
    name: 'switchyard_notification_lag_seconds',
    help: 'From the decision commit (the outbox row written) to the side effect delivered',
    labelNames: ['target'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly deliveryDeadLetters = new Counter({
    name: 'switchyard_outbox_dead_letters_total',
    help: 'Deliveries sent to the dead letters (permanent failure or attempts exhausted)',
    labelNames: ['tenant', 'target'],
    registers: [this.registry],
  });
  readonly pausedTargets = new Gauge({
    name: 'switchyard_outbox_paused_targets',
    help: 'Outbox targets paused by their circuit breaker in this process',
    registers: [this.registry],
  });
  readonly targetPaused = new Gauge({
    name: 'switchyard_outbox_target_paused',
    help: 'Per outbox target: 1 while its circuit breaker pauses it in this process, 0 once closed again',
    labelNames: ['target'],
    registers: [this.registry],
  });

  readonly slowTransactions = new Counter({
    name: 'switchyard_store_slow_transactions_total',
    help: 'Store transactions still open after the watchdog limit (SWITCHYARD_TX_WATCHDOG_MS), by what they were doing',
    labelNames: ['what'],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
