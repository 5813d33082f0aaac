import type { Logger } from 'pino';
import type { AppConfig, Tenant } from '../config/model.js';
import type { Decision, Task } from '../core/index.js';
import type { FunctionHost } from '../functions/function-host.js';
import { functionTransform } from '../functions/transform-function.js';
import type { FunctionCallRecord } from '../functions/types.js';
import type { Metrics } from '../observability/metrics.js';
import { PermanentError, RetryableError } from '../reliability/errors.js';
import { nextRetry, type RetryPolicy } from '../reliability/retry.js';
import { CommitConflict, LeaseLost } from '../store/errors.js';
import type { ClaimedEvent, EventStore } from '../store/event-store.js';
import type { PipelineStore, PipelineWrites } from '../store/pipeline-store.js';
import { decideFor, makeDecision, snapshotFor } from './make-decision.js';
import { normalize } from './normalize.js';
import type { SourceAction } from './sources/types.js';

/** An event that keeps failing unexpectedly is dead-lettered after this many claims. */
export const MAX_ATTEMPTS = 5;
/**
 * Backoff before the next attempt after an unexpected failure, jittered (nextRetry): uniform
 * in [0, 1 s), [0, 2 s), [0, 4 s), [0, 8 s), then the dead letters. The jitter keeps a batch
 * that failed together (a store hiccup) from coming back together.
 */
export const EVENT_RETRY: RetryPolicy = { baseMs: 1_000, capMs: 8_000, maxAttempts: MAX_ATTEMPTS };
/** Re-decide on a fresh snapshot at most this often when concurrent commits keep winning. */
const MAX_CONFLICT_RETRIES = 8;

export interface PipelineDeps {
  store: EventStore & PipelineStore;
  config: AppConfig;
  metrics: Metrics;
  log: Logger;
  clock: () => Date;
  /** Called after a batch in which a source closed or reassigned tasks (the server drains the backlog). */
  onCapacityFreed?: (tenantId: string) => void;
  /**
   * Brings `config.tenants` up to the active policy versions (src/policy/registry.ts). The
   * worker calls it before routing each claimed batch, so an activation on any node applies to
   * the next events everywhere.
   */
  refreshPolicies?: () => Promise<void>;
  /** Looks up and runs tenants' custom functions (src/functions). */
  functions?: FunctionHost;
  /** In [0, 1), for the retry jitter; defaults to Math.random. */
  random?: () => number;
}

type Prepared =
  | { event: ClaimedEvent; tenant: Tenant; action: SourceAction; calls?: FunctionCallRecord[] }
  /** The pipeline gave up on the event: it goes to the dead letters with the error's message. */
  | { event: ClaimedEvent; dead: PermanentError };

type Outcome =
  | { kind: 'decided'; event: ClaimedEvent; decision: Decision }
  | { kind: 'merged' | 'lease_lost'; event: ClaimedEvent }
  /** A close, cancel or reassignment from the source: someone's capacity may be free now. */
  | { kind: 'freed'; event: ClaimedEvent }
  | { kind: 'ignored'; event: ClaimedEvent; reason: string }
  | { kind: 'dead'; event: ClaimedEvent; reason: string }
  | { kind: 'failed'; event: ClaimedEvent; error: unknown };

export async function processBatch(deps: PipelineDeps, events: ClaimedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const prepared = await Promise.all(events.map((e) => prepare(deps, e)));
  let outcomes: Outcome[];
  try {
    outcomes = await deps.store.batch(
      events.map((e) => e.tenantId),
      async (w) => {
        const results: Outcome[] = [];
        for (const p of prepared) results.push(await settle(deps, w, p));
        return results;
      },
    );
  } catch (e) {
    // The commit itself failed: nothing of the batch was written. Hand every event back.
    outcomes = events.map((event) => ({ kind: 'failed', event, error: e }));
  }
  for (const o of outcomes) await report(deps, o);
  for (const tenantId of new Set(outcomes.filter((o) => o.kind === 'freed').map((o) => o.event.tenantId))) {
    deps.onCapacityFreed?.(tenantId);
  }
}

/** Normalize outside the transaction: transforms are async JavaScript, not store work. */
async function prepare(deps: PipelineDeps, event: ClaimedEvent): Promise<Prepared> {
  const giveUp = (reason: string): Prepared => ({ event, dead: new PermanentError(reason) });
  if (event.attempts > MAX_ATTEMPTS) return giveUp(`gave up after ${MAX_ATTEMPTS} failed attempts`);
  const tenant = deps.config.tenants.get(event.tenantId);
  const integration = tenant?.integrations.get(event.integration);
  if (!tenant || !integration) {
    return giveUp(`integration "${event.integration}" is no longer configured for this tenant`);
  }
  const transformCalls: FunctionCallRecord[] = [];
  let source = integration;
  if (integration.transformFunction) {
    if (!deps.functions) return giveUp('transform functions need a function host; none is configured');
    const transform = functionTransform(deps.functions, tenant.id, integration.transformFunction, deps.clock(), (c) =>
      transformCalls.push(c),
    );
    source = { ...integration, transform };
  }
  const normalized = await normalize({
    integration: source,
    payload: JSON.parse(event.body),
    meta: event.meta,
    roster: tenant.roster,
  });
  if (!normalized.ok) return giveUp(normalized.reason);
  const ahead = await callFunctionsAhead(deps, tenant, normalized.action);
  const calls = [...transformCalls, ...(ahead.calls ?? [])];
  return { event, tenant, action: normalized.action, ...(calls.length ? { calls } : {}) };
}

/**
 * Custom functions run before the batch transaction, on a snapshot read outside it, so a slow
 * remote function never holds the store's write lock. Inside the transaction the decision is
 * made again on the fresh snapshot and reuses each call whose input is unchanged; only a call
 * whose input moved (say, a candidate's load changed meanwhile) runs again there.
 */
async function callFunctionsAhead(
  deps: PipelineDeps,
  tenant: Tenant,
  action: SourceAction,
): Promise<{ calls?: FunctionCallRecord[] }> {
  if (action.kind !== 'upsert' || !tenant.compiled.hasFunctions || !deps.functions) return {};
  const now = deps.clock();
  const snapshot = await snapshotFor(deps.store, tenant, action.task, now);
  const { calls } = await decideFor(tenant, action.task, snapshot, now, { host: deps.functions });
  return { calls };
}

async function settle(deps: PipelineDeps, w: PipelineWrites, p: Prepared): Promise<Outcome> {
  const { event } = p;
  try {
    if ('dead' in p) {
      await w.deadLetterEvent(event, p.dead.message, deps.clock().toISOString());
      return { kind: 'dead', event, reason: p.dead.message };
    }
    return await act(deps, w, event, p.tenant, p.action, p.calls);
  } catch (e) {
    if (e instanceof LeaseLost) return { kind: 'lease_lost', event };
    return { kind: 'failed', event, error: e };
  }
}

/** Carry out what the delivery means. */
async function act(
  deps: PipelineDeps,
  w: PipelineWrites,
  event: ClaimedEvent,
  tenant: Tenant,
  action: SourceAction,
  calls: FunctionCallRecord[] | undefined,
): Promise<Outcome> {
  const now = deps.clock().toISOString();
  const actor = `${event.integration}:${action.kind}`;
  switch (action.kind) {
    case 'upsert':
      return route(deps, w, event, tenant, action.task, calls);
    case 'ignore':
      await w.ignoreEvent(event, action.reason, now);
      return { kind: 'ignored', event, reason: action.reason };
    case 'reopen': {
      const existing = await w.findTaskByExternalId(event.tenantId, action.task.externalId);
      if (!existing || !['closed', 'cancelled'].includes(existing.status))
        return route(deps, w, event, tenant, action.task, calls);
      const done = await w.closeFromEvent(
        event,
        { externalId: action.task.externalId, how: 'reopen', actor, reason: action.reason },
        now,
      );
      return done === 'applied' ? { kind: 'freed', event } : { kind: 'ignored', event, reason: 'nothing to reopen' };
    }
    case 'close': {
      const done = await w.closeFromEvent(event, { ...action, actor }, now);
      return done === 'applied'
        ? { kind: 'freed', event }
        : { kind: 'ignored', event, reason: `nothing to ${action.how}` };
    }
    case 'override': {
      const done = await w.overrideFromEvent(
        event,
        { ...action, queue: tenant.policy.fallbackQueue, policyVersion: tenant.policy.version },
        now,
      );
      return done === 'applied' ? { kind: 'freed', event } : { kind: 'ignored', event, reason: 'override not applied' };
    }
  }
}

async function route(
  deps: PipelineDeps,
  w: PipelineWrites,
  event: ClaimedEvent,
  tenant: Tenant,
  task: Task,
  known: FunctionCallRecord[] | undefined,
): Promise<Outcome> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const existing = await w.findTaskByExternalId(event.tenantId, task.externalId);
    if (existing) {
      await w.mergeIntoTask(event, existing, task, deps.clock().toISOString());
      return { kind: 'merged', event };
    }
    const record = await makeDecision(w, tenant, task, deps.clock(), {
      eventId: event.id,
      trigger: 'event',
      metrics: deps.metrics,
      integration: event.integration,
      ...(deps.functions ? { functions: { host: deps.functions, ...(known ? { known } : {}) } } : {}),
      ...(known?.some((c) => c.step === 'transform')
        ? { transformCalls: known.filter((c) => c.step === 'transform') }
        : {}),
    });
    const decision = record.decision;
    try {
      await w.commitDecision({ event, ...record });
    } catch (e) {
      if (e instanceof CommitConflict) {
        deps.metrics.commitConflicts.inc({ why: e.why });
        continue;
      }
      throw e;
    }
    return { kind: 'decided', event, decision };
  }
  throw new Error(`still conflicting after ${MAX_CONFLICT_RETRIES} fresh decisions`);
}

/** After the batch committed: metrics, logs, and handing failed events back with a backoff. */
async function report(deps: PipelineDeps, o: Outcome): Promise<void> {
  const { event } = o;
  const tenant = event.tenantId;
  switch (o.kind) {
    case 'decided':
      deps.metrics.decisions.inc({ tenant, outcome: o.decision.outcome });
      deps.metrics.decisionLatency.observe((Date.now() - Date.parse(event.receivedAt)) / 1000);
      return;
    case 'ignored':
      deps.log.info({ eventId: event.id, tenant, reason: o.reason }, 'event ignored');
      return;
    case 'dead':
      deps.metrics.deadLetters.inc({ tenant });
      deps.log.warn({ eventId: event.id, tenant, reason: o.reason }, 'event dead-lettered');
      return;
    case 'failed': {
      deps.log.error({ err: o.error, eventId: event.id, tenant }, 'event processing failed; released for retry');
      const retryAt = new Date(deps.clock().getTime() + retryDelayMs(deps, event.attempts, o.error));
      const error = String((o.error as Error)?.message ?? o.error);
      await deps.store.releaseEvent(event, error, retryAt).catch((e) => {
        deps.log.error({ err: e, eventId: event.id }, 'releasing the event failed; its lease will expire instead');
      });
      return;
    }
    default:
      return;
  }
}

/**
 * When a failed event is due again. Once its attempts are spent it is due at once: the next
 * claim dead-letters it (prepare), so the dead letter is written under the event's lease.
 */
export function retryDelayMs(deps: Pick<PipelineDeps, 'random'>, attempts: number, error?: unknown): number {
  const retryAfterMs = error instanceof RetryableError ? error.retryAfterMs : undefined;
  const next = nextRetry(EVENT_RETRY, attempts, deps.random ?? Math.random, retryAfterMs);
  return next.retry ? next.delayMs : 0;
}
