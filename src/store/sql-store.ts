/**
 * The Store over Kysely, shared by SQLite and PostgreSQL. Hot write paths live one per file
 * in queries/; the short reads are here. Every query names tenant_id (invariant 7).
 */
import { type Kysely, type Migration, Migrator, sql, type Transaction } from 'kysely';
import type { Snapshot, Task } from '../core/index.js';
import type { StoreDialect } from './dialect.js';
import type {
  FunctionInsertResult,
  FunctionPageQuery,
  FunctionSecretChange,
  NewFunctionVersion,
} from './function-store.js';
import * as initial from './migrations/0001-initial.js';
import * as openEventsIndex from './migrations/0002-open-events-index.js';
import * as routingState from './migrations/0003-routing-state.js';
import * as eventMeta from './migrations/0004-event-meta.js';
import * as integrationSecrets from './migrations/0005-integration-secrets.js';
import * as outboxLeases from './migrations/0006-outbox-leases.js';
import * as subscriptions from './migrations/0007-subscriptions.js';
import * as policyVersions from './migrations/0008-policy-versions.js';
import * as functions from './migrations/0009-functions.js';
import type {
  ClaimedDelivery,
  DeadLetterFilter,
  NewSubscription,
  OutboxRowDraft,
  SubscriptionRow,
  TenantAction,
} from './outbox-store.js';
import { appendAudit, lockAuditHeads } from './queries/append-audit.js';
import { assigneesOf, BatchWrites, findTaskByExternalId, readSnapshot } from './queries/batch-writes.js';
import { claimEvents } from './queries/claim-events.js';
import { commitDecision } from './queries/commit-decision.js';
import { commitOverride } from './queries/commit-override.js';
import { closeFromEvent, ignoreEvent, overrideFromEvent } from './queries/event-actions.js';
import { deadLetterEvent, mergeIntoTask, releaseEvent } from './queries/event-outcomes.js';
import * as fns from './queries/functions.js';
import { insertEvents } from './queries/insert-events.js';
import {
  listIntegrationSecrets,
  revokeIntegrationSecret,
  rotateIntegrationSecret,
} from './queries/integration-secrets.js';
import * as outbox from './queries/outbox.js';
import * as policyVersionQueries from './queries/policy-versions.js';
import {
  listRecordedDecisions,
  type RecordedDecision,
  type RecordedDecisionQuery,
} from './queries/recorded-decisions.js';
import * as subs from './queries/subscriptions.js';
import { commitRedecision, listBacklog, setAway, transitionTask } from './queries/task-lifecycle.js';
import { toDecisionRow, toEventRow, toTaskRow } from './rows.js';
import type { Database } from './schema.js';
import type {
  ActivePolicyRow,
  AuditDraft,
  AuditRow,
  ClaimedEvent,
  CommittedDecision,
  DeadLetterRow,
  DecisionCommit,
  DecisionRow,
  DeliveryRow,
  EventCloseAction,
  EventOverrideAction,
  EventRow,
  InsertEventResult,
  NewEvent,
  NewPolicyVersion,
  OverrideCommit,
  Page,
  PipelineWrites,
  PolicyActivation,
  PolicyActivationResult,
  PolicyActivationRow,
  PolicyApproval,
  PolicyVersionRow,
  PolicyVersionSummary,
  RedecisionCommit,
  SecretRevocation,
  SecretRotation,
  Store,
  StoredSecretRow,
  TaskFilter,
  TaskRow,
  TaskTransition,
} from './store.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-open-events-index': openEventsIndex,
  '0003-routing-state': routingState,
  '0004-event-meta': eventMeta,
  '0005-integration-secrets': integrationSecrets,
  '0006-outbox-leases': outboxLeases,
  '0007-subscriptions': subscriptions,
  '0008-policy-versions': policyVersions,
  '0009-functions': functions,
};

export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Raw access for migrations, admin tools and tests. Application code goes through the methods. */
  readonly db: Kysely<Database>;

  constructor(private readonly d: StoreDialect) {
    this.dialect = d.name;
    this.db = d.db;
  }

  /** A transaction that appends audit entries for these tenants: their heads are locked first (see lockAuditHeads). */
  private audited<T>(tenantIds: string[], fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await lockAuditHeads(this.d, trx, tenantIds);
      return fn(trx);
    });
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => MIGRATIONS } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`migration ${failed} failed: ${(error as Error).message ?? error}`);
    }
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  close(): Promise<void> {
    return this.d.close();
  }

  insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]> {
    return insertEvents(this.d, batch);
  }

  claimEvents(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedEvent[]> {
    return claimEvents(this.d, owner, limit, leaseMs, now);
  }

  releaseEvent(event: ClaimedEvent, error: string, retryAt: Date): Promise<void> {
    return releaseEvent(this.d, event, error, retryAt);
  }

  findTaskByExternalId(tenantId: string, externalId: string): Promise<TaskRow | undefined> {
    return findTaskByExternalId(this.db, tenantId, externalId);
  }

  readSnapshot(tenantId: string): Promise<Snapshot> {
    return readSnapshot(this.db, tenantId);
  }

  assigneesOf(tenantId: string, externalIds: string[]): Promise<Record<string, string>> {
    return assigneesOf(this.db, tenantId, externalIds);
  }

  commitDecision(c: DecisionCommit): Promise<CommittedDecision> {
    return this.audited([c.event.tenantId], (trx) => commitDecision(this.d, trx, c));
  }

  mergeIntoTask(event: ClaimedEvent, existing: TaskRow, task: Task, now: string): Promise<void> {
    return this.audited([event.tenantId], (trx) => mergeIntoTask(this.d, trx, event, existing, task, now));
  }

  deadLetterEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.audited([event.tenantId], (trx) => deadLetterEvent(this.d, trx, event, reason, now));
  }

  ignoreEvent(event: ClaimedEvent, reason: string, now: string): Promise<void> {
    return this.db.transaction().execute((trx) => ignoreEvent(trx, event, reason, now));
  }

  closeFromEvent(event: ClaimedEvent, action: EventCloseAction, now: string): Promise<'applied' | 'ignored'> {
    return this.audited([event.tenantId], (trx) => closeFromEvent(this.d, trx, event, action, now));
  }

  overrideFromEvent(event: ClaimedEvent, action: EventOverrideAction, now: string): Promise<'applied' | 'ignored'> {
    return this.audited([event.tenantId], (trx) => overrideFromEvent(this.d, trx, event, action, now));
  }

  listBacklog(tenantId: string, limit: number): Promise<TaskRow[]> {
    return listBacklog(this.db, tenantId, limit);
  }

  commitRedecision(c: RedecisionCommit): Promise<void> {
    return this.audited([c.tenantId], (trx) => commitRedecision(this.d, trx, c));
  }

  transitionTask(t: TaskTransition): Promise<TaskRow> {
    return this.audited([t.tenantId], (trx) => transitionTask(this.d, trx, t));
  }

  setAway(a: { tenantId: string; memberId: string; away: boolean; actor: string; now: string }): Promise<boolean> {
    return this.audited([a.tenantId], (trx) => setAway(this.d, trx, a));
  }

  batch<T>(tenantIds: string[], fn: (w: PipelineWrites) => Promise<T>): Promise<T> {
    return this.audited(tenantIds, (trx) => fn(new BatchWrites(this.d, trx)));
  }

  async listTasks(tenantId: string, f: TaskFilter): Promise<Page<TaskRow>> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .$if(f.externalId !== undefined, (q) => q.where('external_id', '=', f.externalId as string))
      .$if(f.status !== undefined, (q) => q.where('status', '=', f.status as string))
      .$if(f.assignee !== undefined, (q) => q.where('assignee', '=', f.assignee as string))
      .$if(f.after !== undefined, (q) => q.where('id', '<', f.after as string))
      .orderBy('id', 'desc')
      .limit(f.limit + 1)
      .execute();
    return page(rows.map(toTaskRow), f.limit);
  }

  async getTask(tenantId: string, taskId: string): Promise<TaskRow | undefined> {
    const r = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', taskId)
      .executeTakeFirst();
    return r && toTaskRow(r);
  }

  async listDecisions(tenantId: string, taskId: string): Promise<DecisionRow[]> {
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('task_id', '=', taskId)
      .orderBy('id')
      .execute();
    return rows.map(toDecisionRow);
  }

  async listDeliveries(tenantId: string, decisionIds: string[]): Promise<DeliveryRow[]> {
    if (decisionIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('outbox')
      .select([
        'id',
        'decision_id',
        'topic',
        'target',
        'idempotency_key',
        'status',
        'attempts',
        'last_error',
        'next_attempt_at',
        'delivered_at',
      ])
      .where('tenant_id', '=', tenantId)
      .where('decision_id', 'in', decisionIds)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      decisionId: r.decision_id,
      topic: r.topic,
      target: r.target,
      idempotencyKey: r.idempotency_key,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      nextAttemptAt: r.next_attempt_at,
      deliveredAt: r.delivered_at,
    }));
  }

  async getDecisions(tenantId: string, decisionIds: string[]): Promise<DecisionRow[]> {
    if (decisionIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', decisionIds)
      .execute();
    return rows.map(toDecisionRow);
  }

  commitOverride(o: OverrideCommit): Promise<DecisionRow> {
    return this.audited([o.tenantId], (trx) => commitOverride(this.d, trx, o));
  }

  async getEvent(tenantId: string, eventId: string): Promise<EventRow | undefined> {
    const r = await this.db
      .selectFrom('events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', eventId)
      .executeTakeFirst();
    return r && toEventRow(r);
  }

  async listDeadLetters(tenantId: string, limit: number, after?: string): Promise<Page<DeadLetterRow>> {
    const rows = await this.db
      .selectFrom('dead_letters')
      .select(['id', 'kind', 'ref_id', 'reason', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .$if(after !== undefined, (q) => q.where('id', '<', after as string))
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return page(
      rows.map((r) => ({ id: r.id, kind: r.kind, refId: r.ref_id, reason: r.reason, createdAt: r.created_at })),
      limit,
    );
  }

  async insertApiKey(
    tenantId: string,
    id: string,
    name: string,
    secretHash: string,
    now: string,
    scopes: string[] = [],
  ): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        tenant_id: tenantId,
        id,
        name,
        secret_hash: secretHash,
        created_at: now,
        revoked_at: null,
        scopes: scopes.length ? JSON.stringify(scopes) : null,
      })
      .execute();
  }

  async findApiKey(
    id: string,
  ): Promise<{ tenantId: string; secretHash: string; revoked: boolean; scopes: string[] } | undefined> {
    // The one lookup not scoped by tenant: the key is what tells us the tenant.
    const r = await this.db
      .selectFrom('api_keys')
      .select(['tenant_id', 'secret_hash', 'revoked_at', 'scopes'])
      .where('id', '=', id)
      .executeTakeFirst();
    return (
      r && {
        tenantId: r.tenant_id,
        secretHash: r.secret_hash,
        revoked: r.revoked_at !== null,
        scopes: r.scopes ? (JSON.parse(r.scopes) as string[]) : [],
      }
    );
  }

  rotateIntegrationSecret(r: SecretRotation): Promise<string[]> {
    return this.audited([r.tenantId], (trx) => rotateIntegrationSecret(this.d, trx, r));
  }

  revokeIntegrationSecret(r: SecretRevocation): Promise<'revoked' | 'already' | 'unknown'> {
    return this.audited([r.tenantId], (trx) => revokeIntegrationSecret(this.d, trx, r));
  }

  listIntegrationSecrets(tenantId: string, integration: string): Promise<StoredSecretRow[]> {
    return listIntegrationSecrets(this.db, tenantId, integration);
  }

  claimDeliveries(owner: string, targets: string[], limit: number, leaseMs: number, now: Date) {
    return outbox.claimDeliveries(this.d, owner, targets, limit, leaseMs, now);
  }

  completeDelivery(row: ClaimedDelivery, now: string, then: OutboxRowDraft[]): Promise<boolean> {
    return this.db.transaction().execute((trx) => outbox.completeDelivery(trx, row, now, then));
  }

  completeDeliveries(items: { row: ClaimedDelivery; now: string; then: OutboxRowDraft[] }[]): Promise<boolean[]> {
    return this.db.transaction().execute(async (trx) => {
      const results: boolean[] = [];
      for (const i of items) results.push(await outbox.completeDelivery(trx, i.row, i.now, i.then));
      return results;
    });
  }

  retryDeliveryLater(row: ClaimedDelivery, error: string, nextAttemptAt: string): Promise<boolean> {
    return outbox.retryDeliveryLater(this.d, row, error, nextAttemptAt);
  }

  killDelivery(row: ClaimedDelivery, reason: string, now: string, notice: OutboxRowDraft | null): Promise<boolean> {
    return this.audited([row.tenantId], (trx) => outbox.killDelivery(this.d, trx, row, reason, now, notice));
  }

  retryDeadLetter(a: TenantAction): Promise<'retried' | 'not_found' | 'event'> {
    return this.audited([a.tenantId], (trx) => subs.retryDeadLetter(this.d, trx, a));
  }

  retryDeadLetters(f: DeadLetterFilter): Promise<number> {
    return this.audited([f.tenantId], (trx) => subs.retryDeadLetters(this.d, trx, f));
  }

  postponeDelivery(row: ClaimedDelivery, nextAttemptAt: string): Promise<boolean> {
    return outbox.postponeDelivery(this.d, row, nextAttemptAt);
  }

  discardDeadLetter(a: TenantAction): Promise<'discarded' | 'not_found'> {
    return this.audited([a.tenantId], (trx) => subs.discardDeadLetter(this.d, trx, a));
  }

  createSubscription(s: NewSubscription): Promise<void> {
    return this.audited([s.tenantId], (trx) => subs.createSubscription(this.d, trx, s));
  }

  listSubscriptions(tenantId: string): Promise<SubscriptionRow[]> {
    return subs.listSubscriptions(this.db, tenantId);
  }

  async getSubscription(tenantId: string, id: string): Promise<SubscriptionRow | undefined> {
    return (await subs.listSubscriptions(this.db, tenantId, id))[0];
  }

  deleteSubscription(a: TenantAction): Promise<boolean> {
    return this.audited([a.tenantId], (trx) => subs.deleteSubscription(this.d, trx, a));
  }

  insertFunctionVersion(v: NewFunctionVersion): Promise<FunctionInsertResult> {
    return this.audited([v.fn.tenantId], (trx) => fns.insertFunctionVersion(this.d, trx, v));
  }

  getFunctionVersion(tenantId: string, name: string, version: number) {
    return fns.getFunctionVersion(this.db, tenantId, name, version);
  }

  getLatestFunctionVersion(tenantId: string, name: string) {
    return fns.getLatestFunctionVersion(this.db, tenantId, name);
  }

  listFunctions(tenantId: string, q: FunctionPageQuery) {
    return fns.listFunctions(this.db, tenantId, q);
  }

  listFunctionVersions(tenantId: string, name: string, q: FunctionPageQuery) {
    return fns.listFunctionVersions(this.db, tenantId, name, q);
  }

  getFunctionSecret(tenantId: string, name: string) {
    return fns.getFunctionSecret(this.db, tenantId, name);
  }

  setFunctionSecret(s: FunctionSecretChange): Promise<void> {
    return this.audited([s.tenantId], (trx) => fns.setFunctionSecret(this.d, trx, s));
  }

  async appendAudit(tenantId: string, entry: AuditDraft, now: string): Promise<void> {
    await this.audited([tenantId], (trx) => appendAudit(this.d, trx, tenantId, entry, now));
  }

  async readAudit(tenantId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      at: r.at,
      kind: r.kind,
      subject: r.subject,
      data: r.data,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  async auditHead(tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    const r = await this.db
      .selectFrom('audit_heads')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return r && { seq: Number(r.seq), hash: r.hash };
  }

  listRecordedDecisions(tenantId: string, q: RecordedDecisionQuery): Promise<RecordedDecision[]> {
    return listRecordedDecisions(this.db, tenantId, q);
  }

  async auditTenants(): Promise<string[]> {
    const rows = await this.db.selectFrom('audit_heads').select('tenant_id').orderBy('tenant_id').execute();
    return rows.map((r) => r.tenant_id);
  }

  insertPolicyVersion(v: NewPolicyVersion): Promise<{ version: PolicyVersionRow; created: boolean }> {
    return this.audited([v.tenantId], (trx) => policyVersionQueries.insertPolicyVersion(this.d, trx, v));
  }

  getPolicyVersion(tenantId: string, ref: { id: string } | { number: number }): Promise<PolicyVersionRow | undefined> {
    return policyVersionQueries.getPolicyVersion(this.db, tenantId, ref);
  }

  listPolicyVersions(tenantId: string, limit: number, after?: number): Promise<Page<PolicyVersionSummary>> {
    return policyVersionQueries.listPolicyVersions(this.db, tenantId, limit, after);
  }

  approvePolicyVersion(a: PolicyApproval): Promise<PolicyVersionRow | undefined> {
    return this.audited([a.tenantId], (trx) => policyVersionQueries.approvePolicyVersion(this.d, trx, a));
  }

  activatePolicyVersion(a: PolicyActivation): Promise<PolicyActivationResult> {
    return this.audited([a.tenantId], (trx) => policyVersionQueries.activatePolicyVersion(this.d, trx, a));
  }

  activePolicies(tenantIds: string[]): Promise<ActivePolicyRow[]> {
    return policyVersionQueries.activePolicies(this.db, tenantIds);
  }

  listPolicyActivations(
    tenantId: string,
    f: { limit: number; after?: string; version?: string },
  ): Promise<Page<PolicyActivationRow>> {
    return policyVersionQueries.listPolicyActivations(this.db, tenantId, f);
  }
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
