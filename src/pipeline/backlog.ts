/**
 * Draining the backlog: when capacity frees (a task closed, cancelled or reassigned, a member
 * back, a shift or working day starting), queued tasks are decided again in backlog order
 * (rank, due time, arrival) through the same decide/commit path, each assignment its own
 * decision and audit entry. Tasks that still find nobody stay queued, with no new decision.
 */
import type { Tenant } from '../config/model.js';
import { type ResolvedFunctions, resolvePinned } from '../functions/decide-with-functions.js';
import type { FunctionCallRecord } from '../functions/types.js';
import { CommitConflict } from '../store/errors.js';
import type { PipelineWrites } from '../store/pipeline-store.js';
import type { TaskRow } from '../store/task-store.js';
import { decideFor, makeDecision, snapshotFor } from './make-decision.js';
import type { PipelineDeps } from './process-event.js';

/** How many queued tasks one drain looks at; the rest wait for the next drain. */
export const DRAIN_LIMIT = 200;

export interface DrainResult {
  assigned: number;
  stillQueued: number;
}

/**
 * Two phases, like the event path (process-event.ts): the queued tasks are listed and their
 * functions called outside the transaction, on one `now`; inside, each is decided again on the
 * fresh state with those answers, never calling out. A task whose function input moved meanwhile
 * (an earlier task of the drain took a candidate's capacity) is asked again alone, after it;
 * if it moved once more its route takes the declared fallback.
 */
export async function drainBacklog(deps: PipelineDeps, tenant: Tenant): Promise<DrainResult> {
  const result: DrainResult = { assigned: 0, stillQueued: 0 };
  // A plain read first: most drains find nothing, and the batch would lock the audit head.
  const listed = await deps.store.listBacklog(tenant.id, DRAIN_LIMIT);
  if (listed.length === 0) return result;
  const now = deps.clock();
  const ahead = await callAhead(deps, tenant, listed, now);
  const again: TaskRow[] = [];
  await deps.store.batch(
    [tenant.id],
    async (w) => {
      for (const queued of await w.listBacklog(tenant.id, DRAIN_LIMIT)) {
        const r = await redecide(deps, w, tenant, queued, now, ahead, true);
        if (r === 'stale') again.push(queued);
        else result[r === 'assigned' ? 'assigned' : 'stillQueued']++;
      }
    },
    { what: 'backlog drain', detail: `tenant ${tenant.id}, ${listed.length} queued` },
  );
  for (const queued of again) {
    const asked = await callAhead(deps, tenant, [queued], now, ahead?.versions);
    const r = await deps.store.batch([tenant.id], (w) => redecide(deps, w, tenant, queued, now, asked, false), {
      what: 'backlog drain',
      detail: `tenant ${tenant.id}, one task asked again`,
    });
    result[r === 'assigned' ? 'assigned' : 'stillQueued']++;
  }
  if (result.assigned > 0) deps.log.info({ tenant: tenant.id, ...result }, 'backlog drained');
  return result;
}

interface Ahead {
  versions: ResolvedFunctions;
  /** Each queued task's calls, by task id. */
  calls: Map<string, FunctionCallRecord[]>;
}

/** The tasks' function calls, made on a snapshot read outside the transaction. */
async function callAhead(
  deps: PipelineDeps,
  tenant: Tenant,
  queued: TaskRow[],
  now: Date,
  resolved?: ResolvedFunctions,
): Promise<Ahead | undefined> {
  const host = deps.functions;
  if (!host || !tenant.compiled.hasFunctions) return undefined;
  const versions = resolved ?? (await resolvePinned(host, tenant.id, tenant.compiled));
  const calls = new Map<string, FunctionCallRecord[]>();
  await Promise.all(
    queued.map(async (q) => {
      const snapshot = await snapshotFor(deps.store, tenant, q.task, now);
      calls.set(q.id, (await decideFor(tenant, q.task, snapshot, now, { host, versions })).calls);
    }),
  );
  return { versions, calls };
}

async function redecide(
  deps: PipelineDeps,
  w: PipelineWrites,
  tenant: Tenant,
  queued: TaskRow,
  now: Date,
  ahead: Ahead | undefined,
  mayDefer: boolean,
): Promise<'assigned' | 'queued' | 'stale'> {
  const known = ahead?.calls.get(queued.id);
  // Queued after the listing ahead: its functions were not called; the next drain asks them.
  if (deps.functions && tenant.compiled.hasFunctions && !known) return 'queued';
  const record = await makeDecision(w, tenant, queued.task, now, {
    taskId: queued.id,
    eventId: null,
    trigger: 'backlog',
    metrics: deps.metrics,
    integration: queued.integration,
    ...(deps.functions
      ? {
          functions: {
            host: deps.functions,
            known: known ?? [],
            versions: ahead?.versions ?? new Map(),
            inTransaction: true,
          },
        }
      : {}),
  });
  if (record.stale && mayDefer) return 'stale';
  if (record.decision.outcome !== 'assigned') return 'queued';
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
      return 'queued';
    }
    throw e;
  }
  deps.metrics.decisions.inc({ tenant: tenant.id, outcome: 'assigned' });
  return 'assigned';
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
