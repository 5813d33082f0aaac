/**
 * Hand-built inputs for store tests: events, tasks, Decisions and DecisionCommits shaped like
 * what the pipeline produces, without depending on src/pipeline. Times are fixed (T0 + ms)
 * so leases are driven by the `now` argument, never by the clock.
 */
import { verifyRun } from '../../src/audit/hash-chain.js';
import type { Decision, Snapshot, StrategyName, Task } from '../../src/core/index.js';
import { GENESIS_HASH } from '../../src/crypto/hash-chain.js';
import type { ClaimedEvent, NewEvent } from '../../src/store/event-store.js';
import { newId } from '../../src/store/ids.js';
import type { DecisionCommit } from '../../src/store/pipeline-store.js';
import type { Database } from '../../src/store/schema.js';
import type { SqlStore } from '../../src/store/sql-store.js';

export const TENANT = 'acme';
export const OTHER_TENANT = 'globex';
export const INTEGRATION = 'jira';
export const POLICY_VERSION = 'pv-3f2a9c';

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const at = (ms: number): Date => new Date(T0.getTime() + ms);
export const iso = (ms = 0): string => at(ms).toISOString();

/** Long enough that no test outlives it by accident. */
export const LEASE_MS = 60_000;

export function taskFor(externalId: string, over: Partial<Task> = {}): Task {
  return {
    externalId,
    title: `Checkout fails for ${externalId}`,
    type: 'bug',
    priority: 2,
    labels: ['payments'],
    ...over,
  };
}

export function newEvent(externalId: string, over: Partial<NewEvent> = {}): NewEvent {
  return {
    tenantId: TENANT,
    integration: INTEGRATION,
    dedupeKey: `${externalId}:created`,
    receivedAt: iso(),
    body: JSON.stringify(taskFor(externalId)),
    ...over,
  };
}

/** Inserts one event per external id for `tenantId` and leases them all to `owner`. */
export async function ingestAndClaim(
  store: SqlStore,
  externalIds: string[],
  opts: { tenantId?: string; owner?: string; now?: Date } = {},
): Promise<ClaimedEvent[]> {
  const tenantId = opts.tenantId ?? TENANT;
  await store.insertEvents(externalIds.map((x) => newEvent(x, { tenantId })));
  const claimed = await store.claimEvents(opts.owner ?? 'worker-1', externalIds.length, LEASE_MS, opts.now ?? T0);
  if (claimed.length !== externalIds.length) throw new Error(`claimed ${claimed.length} of ${externalIds.length}`);
  return claimed;
}

export function assignedTo(
  assignee: string,
  opts: { route?: string; strategy?: StrategyName; load?: number; capacity?: number } = {},
): Decision {
  const route = opts.route ?? 'payments-bugs';
  const strategy = opts.strategy ?? 'least_loaded';
  return {
    outcome: 'assigned',
    assignee,
    queue: null,
    route,
    strategy,
    candidates: [
      { memberId: assignee, score: -(opts.load ?? 0) },
      { memberId: 'bob', excluded: { code: 'at_capacity', load: 5, capacity: 5 } },
      { memberId: 'carol', excluded: { code: 'away' } },
    ],
    routesTried: [
      { route: 'incidents', matched: false },
      { route, matched: true, outcome: 'assigned' },
    ],
    policyVersion: POLICY_VERSION,
    explanation: `Route "${route}" matched; ${strategy} chose ${assignee} (${opts.load ?? 0}/${opts.capacity ?? 5} open).`,
  };
}

export function queuedIn(queue: string): Decision {
  return {
    outcome: 'queued',
    assignee: null,
    queue,
    route: null,
    strategy: null,
    candidates: [],
    routesTried: [{ route: 'payments-bugs', matched: false }],
    policyVersion: POLICY_VERSION,
    explanation: `No route matched; queued in fallback queue "${queue}".`,
  };
}

export function commitFor(
  event: ClaimedEvent,
  decision: Decision,
  opts: {
    capacity?: number | null;
    typeCapacity?: number | null;
    turnSeen?: number | null;
    snapshot?: Snapshot;
    now?: string;
    task?: Task;
  } = {},
): DecisionCommit {
  const task = opts.task ?? (JSON.parse(event.body) as Task);
  const taskId = newId();
  const decisionId = newId();
  const payload = { taskId, externalId: task.externalId, assignee: decision.assignee, queue: decision.queue };
  return {
    event,
    taskId,
    decisionId,
    task,
    decision,
    snapshot: opts.snapshot ?? { load: {}, away: {} },
    inputHash: `sha256-${decisionId.toLowerCase()}`,
    assigneeCapacity: opts.capacity === undefined ? (decision.assignee ? 5 : null) : opts.capacity,
    assigneeTypeCapacity: opts.typeCapacity ?? null,
    turnSeen: opts.turnSeen ?? (decision.strategy === 'round_robin' ? 0 : null),
    outbox: [
      { topic: decision.outcome === 'assigned' ? 'task.assigned' : 'task.queued', target: 'subscribers', payload },
      { topic: 'task.routed', target: 'jira-writeback', payload },
    ],
    audit: { kind: 'decision', subject: decisionId, data: { ...payload, eventId: event.id, route: decision.route } },
    now: opts.now ?? iso(1_000),
  };
}

/** Rows of `table` for `tenantId`, straight from the database (for "nothing was written" checks). */
export async function countRows(store: SqlStore, table: keyof Database, tenantId: string = TENANT): Promise<number> {
  const r = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Everything a commit writes, to compare before/after a rejected commit. */
export async function footprint(store: SqlStore, tenantId: string = TENANT) {
  return {
    tasks: await countRows(store, 'tasks', tenantId),
    decisions: await countRows(store, 'decisions', tenantId),
    outbox: await countRows(store, 'outbox', tenantId),
    audit: await countRows(store, 'audit_log', tenantId),
    auditHead: await store.auditHead(tenantId),
    snapshot: await store.readSnapshot(tenantId),
  };
}

/** Verifies the tenant's whole chain from genesis; returns the break (null) and where it ended. */
export async function verifyChain(store: SqlStore, tenantId: string = TENANT) {
  const rows = await store.readAudit(tenantId, 0, 10_000);
  const run = verifyRun(
    rows.map((r) => ({ ...r, tenantId })),
    0,
    GENESIS_HASH,
  );
  return { ...run, rows };
}
