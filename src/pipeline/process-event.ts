import type { Logger } from 'pino';
import type { AppConfig, Tenant } from '../config/model.js';
import type { Decision, Task } from '../core/index.js';
import { type ResolvedFunctions, resolvePinned } from '../functions/decide-with-functions.js';
import type { FunctionHost } from '../functions/function-host.js';
import { functionTransform } from '../functions/transform-function.js';
import type { FunctionCallRecord } from '../functions/types.js';
import type { Metrics } from '../observability/metrics.js';
import { PermanentError, RetryableError } from '../reliability/errors.js';
import { nextRetry, type RetryPolicy } from '../reliability/retry.js';
import { CommitConflict, LeaseLost } from '../store/errors.js';
import type { ClaimedEvent, EventStore } from '../store/event-store.js';
import type { BufferedPipelineWrites, PipelineStore, PipelineWrites } from '../store/pipeline-store.js';
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

/** The answers a decision inside the transaction may reuse: made ahead, outside it, on the event's `now`. */
interface Ahead {
  versions: ResolvedFunctions;
  calls: FunctionCallRecord[];
}

type Prepared =
  | {
      event: ClaimedEvent;
      tenant: Tenant;
      action: SourceAction;
      /** One clock reading per event: the call ahead and the decision inside the transaction share it. */
      now: Date;
      transformCalls: FunctionCallRecord[];
      ahead?: Ahead;
    }
  /** The pipeline gave up on the event: it goes to the dead letters with the error's message. */
  | { event: ClaimedEvent; now: Date; dead: PermanentError }
  /** Preparing failed unexpectedly (a store read, say): nothing is written, the event is handed back. */
  | { event: ClaimedEvent; now: Date; failed: unknown };

type Decidable = Extract<Prepared, { action: SourceAction }>;

type Outcome =
  | { kind: 'decided'; event: ClaimedEvent; decision: Decision }
  | { kind: 'merged' | 'lease_lost'; event: ClaimedEvent }
  /** A close, cancel or reassignment from the source: someone's capacity may be free now. */
  | { kind: 'freed'; event: ClaimedEvent }
  | { kind: 'ignored'; event: ClaimedEvent; reason: string }
  | { kind: 'dead'; event: ClaimedEvent; reason: string }
  | { kind: 'failed'; event: ClaimedEvent; error: unknown }
  /** A function's input moved between the call ahead and the commit: nothing written, prepared again. */
  | { kind: 'deferred'; event: ClaimedEvent; prepared: Decidable };

/**
 * Two phases. Prepare, outside any transaction: normalize, look up the pinned function versions
 * and call the functions on a snapshot read outside it. Commit, in ONE transaction for the
 * batch: decide again on the fresh snapshot with the same `now`, reusing those answers; nothing
 * is called and nothing is read but through the transaction's handle. An event whose function
 * input moved meanwhile (another event of the batch changed a candidate's load) is prepared
 * again after the batch and committed alone; if it moved once more, its route takes the
 * function's declared fallback (docs/functions.md).
 */
export async function processBatch(deps: PipelineDeps, events: ClaimedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const pinned = new Map<string, Promise<ResolvedFunctions>>();
  const failed = (event: ClaimedEvent) => (error: unknown) => ({ event, now: deps.clock(), failed: error });
  const prepared = await Promise.all(events.map((e) => prepare(deps, e, pinned).catch(failed(e))));
  const outcomes: Outcome[] = [];
  for (const o of await commitBatch(deps, prepared, true)) {
    if (o.kind !== 'deferred') outcomes.push(o);
    else {
      const again = await callAheadAgain(deps, o.prepared).catch(failed(o.event));
      outcomes.push(...(await commitBatch(deps, [again], false)));
    }
  }
  for (const o of outcomes) await report(deps, o);
  for (const tenantId of new Set(outcomes.filter((o) => o.kind === 'freed').map((o) => o.event.tenantId))) {
    deps.onCapacityFreed?.(tenantId);
  }
}

async function commitBatch(deps: PipelineDeps, prepared: Prepared[], mayDefer: boolean): Promise<Outcome[]> {
  if (prepared.every((p) => 'failed' in p))
    return prepared.map((p) => ({ kind: 'failed', event: p.event, error: p.failed }));
  const tenants = prepared.map((p) => p.event.tenantId);
  const label = {
    what: 'pipeline batch',
    detail: `${prepared.length} event${prepared.length === 1 ? '' : 's'}, tenant ${[...new Set(tenants)].join(', ')}`,
  };
  if (prepared.length > 1) {
    // The fast path: the batch's decisions buffered and written multi-row. Any failure in it
    // (a lost lease, a conflict, one event's unexpected error) writes nothing; the batch is then
    // committed again the careful way below, where each event is isolated by a savepoint.
    try {
      return await deps.store.bufferedBatch(
        tenants,
        async (w) => {
          await prefetch(w, prepared);
          const results: Outcome[] = [];
          for (const p of prepared) results.push(await settle(deps, w, p, mayDefer, false));
          return results;
        },
        label,
      );
    } catch (e) {
      deps.metrics.batchFallbacks.inc({
        why: e instanceof CommitConflict ? e.why : e instanceof LeaseLost ? 'lease_lost' : 'error',
      });
      deps.log.debug({ err: e }, 'the buffered batch failed; committing it event by event');
    }
  }
  try {
    return await deps.store.batch(
      tenants,
      async (w) => {
        const results: Outcome[] = [];
        for (const p of prepared) results.push(await settle(deps, w, p, mayDefer, true));
        return results;
      },
      label,
    );
  } catch (e) {
    // The commit itself failed: nothing of the batch was written. Hand every event back.
    return prepared.map(({ event }) => ({ kind: 'failed', event, error: e }));
  }
}

/** The tasks the batch's upserts and reopens look up, read in one query per tenant. */
async function prefetch(w: BufferedPipelineWrites, prepared: Prepared[]): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const p of prepared) {
    if (!('action' in p) || (p.action.kind !== 'upsert' && p.action.kind !== 'reopen')) continue;
    const ids = byTenant.get(p.event.tenantId) ?? [];
    ids.push(p.action.task.externalId);
    byTenant.set(p.event.tenantId, ids);
  }
  for (const [tenantId, ids] of byTenant) await w.prefetchTasks(tenantId, ids);
}

/** Normalize and call the functions outside the transaction: transforms and functions are not store work. */
async function prepare(
  deps: PipelineDeps,
  event: ClaimedEvent,
  pinned: Map<string, Promise<ResolvedFunctions>>,
): Promise<Prepared> {
  const now = deps.clock();
  const giveUp = (reason: string): Prepared => ({ event, now, dead: new PermanentError(reason) });
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
    const transform = functionTransform(deps.functions, tenant.id, integration.transformFunction, now, (c) =>
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
  const p: Decidable = { event, tenant, action: normalized.action, now, transformCalls };
  if (!deps.functions || !tenant.compiled.hasFunctions || !(await mayRoute(deps, p))) return p;
  let versions = pinned.get(tenant.id);
  if (!versions) {
    versions = resolvePinned(deps.functions, tenant.id, tenant.compiled);
    pinned.set(tenant.id, versions);
  }
  return callAhead(deps, p, await versions);
}

/** Whether the event may lead to a decision (worth calling its functions for): a new task, or a reopen of one not closed. */
async function mayRoute(deps: PipelineDeps, p: Decidable): Promise<boolean> {
  if (p.action.kind !== 'upsert' && p.action.kind !== 'reopen') return false;
  const existing = await deps.store.findTaskByExternalId(p.event.tenantId, p.action.task.externalId);
  if (p.action.kind === 'upsert') return !existing;
  return !existing || !['closed', 'cancelled'].includes(existing.status);
}

/** The decision made on a snapshot read outside the transaction, for its function calls only. */
async function callAhead(deps: PipelineDeps, p: Decidable, versions: ResolvedFunctions): Promise<Decidable> {
  const functions = deps.functions;
  if (!functions || (p.action.kind !== 'upsert' && p.action.kind !== 'reopen')) return p;
  const snapshot = await snapshotFor(deps.store, p.tenant, p.action.task, p.now);
  const { calls } = await decideFor(p.tenant, p.action.task, snapshot, p.now, { host: functions, versions });
  return { ...p, ahead: { versions, calls } };
}

/** A deferred event: its functions called again, on a snapshot read now, with the same `now`. */
async function callAheadAgain(deps: PipelineDeps, p: Decidable): Promise<Decidable> {
  if (!deps.functions) return p;
  return callAhead(deps, p, p.ahead?.versions ?? (await resolvePinned(deps.functions, p.tenant.id, p.tenant.compiled)));
}

/** `isolated`: each write has its own savepoint, so one event's failure is its outcome; otherwise it aborts the batch. */
async function settle(
  deps: PipelineDeps,
  w: PipelineWrites,
  p: Prepared,
  mayDefer: boolean,
  isolated: boolean,
): Promise<Outcome> {
  const { event } = p;
  if ('failed' in p) return { kind: 'failed', event, error: p.failed };
  if (!isolated) {
    if ('dead' in p) {
      await w.deadLetterEvent(event, p.dead.message, p.now.toISOString());
      return { kind: 'dead', event, reason: p.dead.message };
    }
    return act(deps, w, p, mayDefer);
  }
  try {
    if ('dead' in p) {
      await w.deadLetterEvent(event, p.dead.message, p.now.toISOString());
      return { kind: 'dead', event, reason: p.dead.message };
    }
    return await act(deps, w, p, mayDefer);
  } catch (e) {
    if (e instanceof LeaseLost) return { kind: 'lease_lost', event };
    return { kind: 'failed', event, error: e };
  }
}

/** Carry out what the delivery means. */
async function act(deps: PipelineDeps, w: PipelineWrites, p: Decidable, mayDefer: boolean): Promise<Outcome> {
  const { event, tenant, action } = p;
  const now = p.now.toISOString();
  const actor = `${event.integration}:${action.kind}`;
  switch (action.kind) {
    case 'upsert':
      return route(deps, w, p, action.task, mayDefer);
    case 'ignore':
      await w.ignoreEvent(event, action.reason, now);
      return { kind: 'ignored', event, reason: action.reason };
    case 'reopen': {
      const existing = await w.findTaskByExternalId(event.tenantId, action.task.externalId);
      if (!existing || !['closed', 'cancelled'].includes(existing.status))
        return route(deps, w, p, action.task, mayDefer);
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
  p: Decidable,
  task: Task,
  mayDefer: boolean,
): Promise<Outcome> {
  const { event, tenant, ahead } = p;
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const existing = await w.findTaskByExternalId(event.tenantId, task.externalId);
    if (existing) {
      await w.mergeIntoTask(event, existing, task, p.now.toISOString());
      return { kind: 'merged', event };
    }
    // Not called ahead (the task existed then, or was closed): prepare it again rather than decide without answers.
    if (mayDefer && !ahead && deps.functions && tenant.compiled.hasFunctions)
      return { kind: 'deferred', event, prepared: p };
    const record = await makeDecision(w, tenant, task, p.now, {
      eventId: event.id,
      trigger: 'event',
      metrics: deps.metrics,
      integration: event.integration,
      // Inside the transaction: the answers made ahead, never a call.
      ...(deps.functions
        ? {
            functions: {
              host: deps.functions,
              known: ahead?.calls ?? [],
              versions: ahead?.versions ?? new Map(),
              inTransaction: true,
            },
          }
        : {}),
      ...(p.transformCalls.length ? { transformCalls: p.transformCalls } : {}),
    });
    if (record.stale && mayDefer) return { kind: 'deferred', event, prepared: p };
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
