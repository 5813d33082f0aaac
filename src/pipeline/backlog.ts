/**
 * Draining the backlog: when capacity frees (a task closed, cancelled or reassigned, a member
 * back, a shift or working day starting), queued tasks are decided again in backlog order
 * (rank, due time, arrival) through the same decide/commit path, each assignment its own
 * decision and audit entry. Tasks that still find nobody stay queued, with no new decision.
 */
import type { Tenant } from '../config/model.js';
import { CommitConflict } from '../store/errors.js';
import type { PipelineWrites } from '../store/pipeline-store.js';
import type { TaskRow } from '../store/task-store.js';
import { makeDecision } from './make-decision.js';
import type { PipelineDeps } from './process-event.js';

/** How many queued tasks one drain looks at; the rest wait for the next drain. */
export const DRAIN_LIMIT = 200;

export interface DrainResult {
  assigned: number;
  stillQueued: number;
}

export async function drainBacklog(deps: PipelineDeps, tenant: Tenant): Promise<DrainResult> {
  const result: DrainResult = { assigned: 0, stillQueued: 0 };
  // A plain read first: most drains find nothing, and the batch would lock the audit head.
  if ((await deps.store.listBacklog(tenant.id, 1)).length === 0) return result;
  await deps.store.batch([tenant.id], async (w) => {
    const backlog = await w.listBacklog(tenant.id, DRAIN_LIMIT);
    for (const queued of backlog) {
      if (await redecide(deps, w, tenant, queued)) result.assigned++;
      else result.stillQueued++;
    }
  });
  if (result.assigned > 0) deps.log.info({ tenant: tenant.id, ...result }, 'backlog drained');
  return result;
}

async function redecide(deps: PipelineDeps, w: PipelineWrites, tenant: Tenant, queued: TaskRow): Promise<boolean> {
  const record = await makeDecision(w, tenant, queued.task, deps.clock(), {
    taskId: queued.id,
    eventId: null,
    trigger: 'backlog',
    metrics: deps.metrics,
    integration: queued.integration,
    ...(deps.functions ? { functions: { host: deps.functions } } : {}),
  });
  if (record.decision.outcome !== 'assigned') return false;
  try {
    await w.commitRedecision({
      ...record,
      tenantId: tenant.id,
      taskId: queued.id,
      supersedesId: queued.currentDecisionId,
    });
  } catch (e) {
    // Someone else moved the task or took the capacity meanwhile: the next drain sees the new state.
    if (e instanceof CommitConflict) {
      deps.metrics.commitConflicts.inc({ why: e.why });
      return false;
    }
    throw e;
  }
  deps.metrics.decisions.inc({ tenant: tenant.id, outcome: 'assigned' });
  return true;
}

/**
 * Drains on demand (after a close, a reassignment, a member back) and on a timer (shifts and
 * working hours start without anyone calling). One drain per tenant at a time in this
 * process; a request during a drain schedules exactly one more after it.
 */
export class BacklogDrainer {
  private readonly inFlight = new Map<string, Promise<DrainResult>>();
  private readonly again = new Map<string, Promise<DrainResult>>();

  constructor(private readonly deps: PipelineDeps) {}

  drain(tenantId: string): Promise<DrainResult> {
    const tenant = this.deps.config.tenants.get(tenantId);
    if (!tenant) return Promise.resolve({ assigned: 0, stillQueued: 0 });
    const running = this.inFlight.get(tenantId);
    if (running) {
      const queued = this.again.get(tenantId);
      if (queued) return queued;
      const next = running
        .catch(() => undefined)
        .then(() => {
          this.again.delete(tenantId);
          return this.drain(tenantId);
        });
      this.again.set(tenantId, next);
      return next;
    }
    const run = drainBacklog(this.deps, tenant).finally(() => this.inFlight.delete(tenantId));
    this.inFlight.set(tenantId, run);
    return run;
  }

  async drainAll(): Promise<void> {
    for (const tenantId of this.deps.config.tenants.keys()) {
      try {
        await this.drain(tenantId);
      } catch (e) {
        this.deps.log.error({ err: e, tenant: tenantId }, 'draining the backlog failed');
      }
    }
  }
}
