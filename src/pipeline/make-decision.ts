/**
 * One decision and everything its commit needs, shared by the event path and the backlog:
 * snapshot (store state + schedule state at `now` + related assignees), the pure decide(),
 * the input hash, what the commit must re-check, outbox rows and the audit entry.
 */
import type { Tenant } from '../config/model.js';
import { type Decision, decide, type Snapshot, type Task } from '../core/index.js';
import { scheduleState } from '../core/schedule-state.js';
import { inputHash } from '../crypto/input-hash.js';
import { decideWithFunctions, type ResolvedFunctions } from '../functions/decide-with-functions.js';
import type { FunctionHost } from '../functions/function-host.js';
import type { FunctionCallRecord } from '../functions/types.js';
import type { Metrics } from '../observability/metrics.js';
import { newId } from '../store/ids.js';
import type { DecisionCommit, PipelineWrites } from '../store/pipeline-store.js';
import { sideEffectsOf } from './side-effects.js';

export type DecisionRecord = Omit<DecisionCommit, 'event'> & {
  /** A function answer was needed that was not made ahead (its input moved): the decision took the fallback. */
  stale?: true;
};

/**
 * How a decision reaches the policy's custom functions. Ahead of a transaction: through the
 * host (versions from `versions` when given). Inside one (`inTransaction`): only `known`
 * answers and `versions`, never a call and never a store read (process-event.ts).
 */
export interface DecisionFunctions {
  host: FunctionHost;
  known?: readonly FunctionCallRecord[];
  versions?: ResolvedFunctions;
  inTransaction?: boolean;
}

export async function makeDecision(
  w: PipelineWrites,
  tenant: Tenant,
  task: Task,
  now: Date,
  context: {
    taskId?: string;
    eventId: string | null;
    trigger: 'event' | 'backlog';
    metrics: Metrics;
    /** The integration id the task came from: decides whether Jira or GitHub is told. */
    integration?: string;
    /** The policy's custom functions; inside a transaction, the answers made ahead of it. */
    functions?: DecisionFunctions;
    /** The integration's transform function call that made the Task, listed first among the calls. */
    transformCalls?: readonly FunctionCallRecord[];
  },
): Promise<DecisionRecord> {
  const snapshot = await snapshotFor(w, tenant, task, now);
  const started = performance.now();
  const decided = await decideFor(tenant, task, snapshot, now, context.functions);
  const { decision } = decided;
  const calls = [...(context.transformCalls ?? []), ...decided.calls];
  context.metrics.decideDuration.observe((performance.now() - started) / 1000);
  const ids = { taskId: context.taskId ?? newId(), decisionId: newId() };
  const hash = inputHash(task, snapshot, decision.policyVersion, now);
  return {
    ...ids,
    task,
    decision,
    snapshot,
    inputHash: hash,
    ...(calls.length ? { functionCalls: calls as unknown as Record<string, unknown>[] } : {}),
    ...capacityChecks(tenant, task, decision, snapshot),
    outbox: sideEffectsOf(decision, task, ids, tenant, context.integration),
    audit: {
      kind: 'decision',
      subject: ids.decisionId,
      data: {
        taskId: ids.taskId,
        eventId: context.eventId,
        trigger: context.trigger,
        externalId: task.externalId,
        outcome: decision.outcome,
        assignee: decision.assignee,
        queue: decision.queue,
        route: decision.route,
        strategy: decision.strategy,
        escalated: decision.escalated ?? false,
        policyVersion: decision.policyVersion,
        functionVersions: calls.map((c) => ({
          name: c.name,
          version: c.version,
          contentHash: c.contentHash,
          outcome: c.outcome,
          durationMs: c.durationMs,
          ...(c.fallback ? { fallback: c.fallback } : {}),
        })),
        candidates: decision.candidates,
        inputHash: hash,
      },
    },
    now: now.toISOString(),
    ...(decided.stale ? { stale: decided.stale } : {}),
  };
}

/** decide(), through the function host when the policy pins custom functions. */
export async function decideFor(
  tenant: Tenant,
  task: Task,
  snapshot: Snapshot,
  now: Date,
  functions: DecisionFunctions | undefined,
): Promise<{ decision: Decision; calls: FunctionCallRecord[]; stale?: true }> {
  if (!tenant.compiled.hasFunctions) return { decision: decide(task, snapshot, tenant.compiled, now), calls: [] };
  if (!functions) throw new Error(`tenant ${tenant.id} pins custom functions but no function host is configured`);
  return decideWithFunctions(task, snapshot, tenant.compiled, now, {
    tenantId: tenant.id,
    host: functions.host,
    ...(functions.known ? { known: functions.known } : {}),
    ...(functions.versions ? { versions: functions.versions } : {}),
    ...(functions.inTransaction ? { inTransaction: true } : {}),
  });
}

/** Everything decide() reads: store state, schedule state at `now`, related tasks' assignees. */
export async function snapshotFor(w: PipelineWrites, tenant: Tenant, task: Task, now: Date): Promise<Snapshot> {
  const stored = await w.readSnapshot(tenant.id);
  const related = task.relatedTo?.length ? await w.assigneesOf(tenant.id, task.relatedTo) : {};
  return { ...stored, ...scheduleState(tenant, now), ...(Object.keys(related).length ? { related } : {}) };
}

/** What the commit must re-check: the assignee's capacities (unless the route ignores them) and the round-robin turn. */
export function capacityChecks(
  tenant: Tenant,
  task: Task,
  decision: Decision,
  snapshot: Snapshot,
): Pick<DecisionCommit, 'assigneeCapacity' | 'assigneeTypeCapacity' | 'turnSeen'> {
  const member = decision.assignee ? tenant.roster.members.get(decision.assignee) : undefined;
  const route = tenant.compiled.routes.find((r) => r.route.name === decision.route);
  const limited = member && route && !route.ignoreCapacity && !decision.escalated;
  const turns = decision.route ? snapshot.turns?.[decision.route] : undefined;
  return {
    assigneeCapacity: limited ? member.capacity : null,
    assigneeTypeCapacity: limited && task.type !== undefined ? (member.capacityByType[task.type] ?? null) : null,
    turnSeen: decision.strategy === 'round_robin' ? Math.max(0, ...Object.values(turns ?? {})) : null,
  };
}
