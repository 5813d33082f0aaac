/**
 * One claimed event through normalize → decide → commit. Every path ends in exactly one of:
 * a committed decision, a merge into the existing task, a dead letter with its reason, or
 * the event released for a later attempt (unexpected error). Nothing is dropped.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/model.js';
import { canonicalJson, decide, type Task } from '../core/index.js';
import type { Metrics } from '../observability/metrics.js';
import { newId } from '../store/ids.js';
import { type ClaimedEvent, CommitConflict, LeaseLost, type Store } from '../store/store.js';
import { normalize } from './normalize.js';
import { sideEffectsOf } from './side-effects.js';

/** An event that keeps failing unexpectedly is dead-lettered after this many claims. */
export const MAX_ATTEMPTS = 5;
/** Backoff before the next attempt after an unexpected failure: 1 s, 2 s, 4 s, 8 s, then the dead letters. */
export function retryDelayMs(attempts: number): number {
  return 1000 * 2 ** Math.max(0, attempts - 1);
}
/** Re-decide on a fresh snapshot at most this often when concurrent commits keep winning. */
const MAX_CONFLICT_RETRIES = 8;

export interface PipelineDeps {
  store: Store;
  config: AppConfig;
  metrics: Metrics;
  log: Logger;
  clock: () => Date;
}

export type EventOutcome = 'decided' | 'merged' | 'dead' | 'released' | 'lease_lost';

export async function processEvent(deps: PipelineDeps, event: ClaimedEvent): Promise<EventOutcome> {
  try {
    return await route(deps, event);
  } catch (e) {
    if (e instanceof LeaseLost) return 'lease_lost';
    deps.log.error(
      { err: e, eventId: event.id, tenant: event.tenantId },
      'event processing failed; released for retry',
    );
    const retryAt = new Date(deps.clock().getTime() + retryDelayMs(event.attempts));
    await deps.store.releaseEvent(event, String((e as Error).message ?? e), retryAt).catch(() => {});
    return 'released';
  }
}

async function route(deps: PipelineDeps, event: ClaimedEvent): Promise<EventOutcome> {
  const { store, config, metrics, clock } = deps;
  const dead = async (reason: string): Promise<EventOutcome> => {
    await store.deadLetterEvent(event, reason, clock().toISOString());
    metrics.deadLetters.inc({ tenant: event.tenantId });
    deps.log.warn({ eventId: event.id, tenant: event.tenantId, reason }, 'event dead-lettered');
    return 'dead';
  };
  if (event.attempts > MAX_ATTEMPTS) return dead(`gave up after ${MAX_ATTEMPTS} failed attempts`);
  const tenant = config.tenants.get(event.tenantId);
  const integration = tenant?.integrations.get(event.integration);
  if (!tenant || !integration)
    return dead(`integration "${event.integration}" is no longer configured for this tenant`);

  const normalized = await normalize(integration, JSON.parse(event.body));
  if (!normalized.ok) return dead(normalized.reason);
  const task = normalized.task;

  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const existing = await store.findTaskByExternalId(event.tenantId, task.externalId);
    if (existing) {
      await store.mergeIntoTask(event, existing, task, clock().toISOString());
      return 'merged';
    }
    const snapshot = await store.readSnapshot(event.tenantId);
    const now = clock();
    const started = performance.now();
    const decision = decide(task, snapshot, tenant.compiled, now);
    metrics.decideDuration.observe((performance.now() - started) / 1000);
    const ids = { taskId: newId(), decisionId: newId() };
    const assignee = decision.assignee ? tenant.roster.members.get(decision.assignee) : undefined;
    const hash = inputHash(task, snapshot, decision.policyVersion, now);
    try {
      await store.commitDecision({
        event,
        ...ids,
        task,
        decision,
        snapshot,
        inputHash: hash,
        assigneeCapacity: assignee?.capacity ?? null,
        cursorSeen: decision.route ? (snapshot.cursors[decision.route] ?? null) : null,
        outbox: sideEffectsOf(decision, task, ids, tenant.roster),
        audit: {
          kind: 'decision',
          subject: ids.decisionId,
          data: {
            taskId: ids.taskId,
            eventId: event.id,
            externalId: task.externalId,
            outcome: decision.outcome,
            assignee: decision.assignee,
            queue: decision.queue,
            route: decision.route,
            strategy: decision.strategy,
            policyVersion: decision.policyVersion,
            functionVersions: [],
            candidates: decision.candidates,
            inputHash: hash,
          },
        },
        now: now.toISOString(),
      });
    } catch (e) {
      if (e instanceof CommitConflict) {
        metrics.commitConflicts.inc({ why: e.why });
        continue;
      }
      throw e;
    }
    metrics.decisions.inc({ tenant: event.tenantId, outcome: decision.outcome });
    metrics.decisionLatency.observe((Date.now() - Date.parse(event.receivedAt)) / 1000);
    return 'decided';
  }
  throw new Error(`still conflicting after ${MAX_CONFLICT_RETRIES} fresh decisions`);
}

/** What decide() saw, hashed: the same input must always give the same decision (invariant 3). */
export function inputHash(task: Task, snapshot: unknown, policyVersion: string, now: Date): string {
  return createHash('sha256')
    .update(canonicalJson({ task, snapshot, policyVersion, now: now.toISOString() }))
    .digest('hex');
}
