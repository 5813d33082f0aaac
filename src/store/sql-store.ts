/**
 * The Store over Kysely, shared by SQLite and PostgreSQL: wiring only. Each concern's queries
 * live in queries/ (one file per concern or hot operation); here each method is given its
 * database handle and, for writes that audit, a transaction that has locked the tenants'
 * audit heads first. Every query names tenant_id (invariant 7).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuditStore } from './audit-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { StoreDialect } from './dialect.js';
import type { EventStore } from './event-store.js';
import type { FunctionStore } from './function-store.js';
import type { KeyStore } from './key-store.js';
import { migrateToLatest } from './migrations/index.js';
import type { TransactionLabel } from './open-transactions.js';
import type { OutboxStore } from './outbox-store.js';
import type { PipelineStore } from './pipeline-store.js';
import type { PolicyStore } from './policy-store.js';
import * as keys from './queries/api-keys.js';
import { appendAudit, lockAuditHeads } from './queries/append-audit.js';
import * as auditReads from './queries/audit-reads.js';
import { assigneesOf, BatchWrites, findTaskByExternalId, readSnapshot } from './queries/batch-writes.js';
import { BufferedBatchWrites } from './queries/buffered-writes.js';
import { claimEvents } from './queries/claim-events.js';
import { commitDecision } from './queries/commit-decision.js';
import { commitOverride } from './queries/commit-override.js';
import * as deadLetters from './queries/dead-letters.js';
import { closeFromEvent, ignoreEvent, overrideFromEvent } from './queries/event-actions.js';
import { deadLetterEvent, mergeIntoTask, releaseEvent } from './queries/event-outcomes.js';
import { getEvent } from './queries/event-reads.js';
import * as fns from './queries/functions.js';
import { insertEvents } from './queries/insert-events.js';
import * as secrets from './queries/integration-secrets.js';
import * as outbox from './queries/outbox.js';
import * as policy from './queries/policy-versions.js';
import * as recorded from './queries/recorded-decisions.js';
import * as subs from './queries/subscriptions.js';
import { commitRedecision, listBacklog, setAway, transitionTask } from './queries/task-lifecycle.js';
import * as tasks from './queries/task-reads.js';
import type { RecordedDecisionStore } from './recorded-decision-store.js';
import type { Database } from './schema.js';
import type { SecretStore } from './secret-store.js';
import type { Store } from './store.js';
import type { SubscriptionStore } from './subscription-store.js';
import type { TaskStore } from './task-store.js';

export interface SqlStore extends Store {
  /**
   * Raw Kysely, for tests' assertions, benchmarks and admin tools only (the migration test
   * reads kysely_migration). Application code, the CLI included, goes through the methods.
   */
  readonly db: Kysely<Database>;
}

const tenantsOf = (tenantIds: string[]) => `tenant ${[...new Set(tenantIds)].join(', ')}`;

export function createSqlStore(d: StoreDialect): SqlStore {
  const { db } = d;
  /** A transaction that appends audit entries for these tenants: their heads are locked first (see lockAuditHeads). */
  const audited = <T>(
    label: string | TransactionLabel,
    tenantIds: string[],
    fn: (trx: Transaction<Database>) => Promise<T>,
  ): Promise<T> =>
    db.transaction().execute((trx) =>
      d.transactions.run(
        typeof label === 'string' ? { what: label, detail: tenantsOf(tenantIds) } : label,
        async () => {
          await lockAuditHeads(d, trx, tenantIds);
          return fn(trx);
        },
      ),
    );
  /** Every transaction runs inside `d.transactions.run`: the guard and the watchdog (open-transactions.ts) see it. */
  const inTransaction = <T>(what: string, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    db.transaction().execute((trx) => d.transactions.run({ what }, () => fn(trx)));

  const events: EventStore = {
    insertEvents: (batch) => insertEvents(d, batch),
    claimEvents: (owner, limit, leaseMs, now) => claimEvents(d, owner, limit, leaseMs, now),
    releaseEvent: (event, error, retryAt) => releaseEvent(d, event, error, retryAt),
    getEvent: (tenantId, eventId) => getEvent(db, tenantId, eventId),
  };

  const pipeline: PipelineStore = {
    findTaskByExternalId: (tenantId, externalId) => findTaskByExternalId(db, tenantId, externalId),
    readSnapshot: (tenantId) => readSnapshot(db, tenantId),
    assigneesOf: (tenantId, externalIds) => assigneesOf(db, tenantId, externalIds),
    commitDecision: (c) => audited('commitDecision', [c.event.tenantId], (trx) => commitDecision(d, trx, c)),
    mergeIntoTask: (event, existing, task, now) =>
      audited('mergeIntoTask', [event.tenantId], (trx) => mergeIntoTask(d, trx, event, existing, task, now)),
    deadLetterEvent: (event, reason, now) =>
      audited('deadLetterEvent', [event.tenantId], (trx) => deadLetterEvent(d, trx, event, reason, now)),
    ignoreEvent: (event, reason, now) => inTransaction('ignoreEvent', (trx) => ignoreEvent(trx, event, reason, now)),
    closeFromEvent: (event, action, now) =>
      audited('closeFromEvent', [event.tenantId], (trx) => closeFromEvent(d, trx, event, action, now)),
    overrideFromEvent: (event, action, now) =>
      audited('overrideFromEvent', [event.tenantId], (trx) => overrideFromEvent(d, trx, event, action, now)),
    listBacklog: (tenantId, limit) => listBacklog(db, tenantId, limit),
    commitRedecision: (c) => audited('commitRedecision', [c.tenantId], (trx) => commitRedecision(d, trx, c)),
    batch: (tenantIds, fn, label) =>
      audited(label ?? 'pipeline batch', tenantIds, (trx) => fn(new BatchWrites(d, trx))),
    bufferedBatch: (tenantIds, fn, label) =>
      audited(label ?? 'pipeline batch', tenantIds, async (trx) => {
        const w = new BufferedBatchWrites(d, trx);
        const result = await fn(w);
        await w.flush();
        return result;
      }),
  };

  const taskStore: TaskStore = {
    listTasks: (tenantId, filter) => tasks.listTasks(db, tenantId, filter),
    getTask: (tenantId, taskId) => tasks.getTask(db, tenantId, taskId),
    tenantsWithTasks: () => tasks.tenantsWithTasks(db),
    listDecisions: (tenantId, taskId) => tasks.listDecisions(db, tenantId, taskId),
    getDecisions: (tenantId, decisionIds) => tasks.getDecisions(db, tenantId, decisionIds),
    listDeliveries: (tenantId, decisionIds) => tasks.listDeliveries(db, tenantId, decisionIds),
    commitOverride: (o) => audited('commitOverride', [o.tenantId], (trx) => commitOverride(d, trx, o)),
    transitionTask: (t) => audited('transitionTask', [t.tenantId], (trx) => transitionTask(d, trx, t)),
    setAway: (a) => audited('setAway', [a.tenantId], (trx) => setAway(d, trx, a)),
  };

  const deadLetterStore: DeadLetterStore = {
    listDeadLetters: (tenantId, limit, after) => deadLetters.listDeadLetters(db, tenantId, limit, after),
    tenantsWithDeadLetters: () => deadLetters.tenantsWithDeadLetters(db),
    deadLetterTenant: (id) => deadLetters.deadLetterTenant(db, id),
    retryDeadLetter: (a) => audited('retryDeadLetter', [a.tenantId], (trx) => deadLetters.retryDeadLetter(d, trx, a)),
    retryDeadLetters: (f) =>
      audited('retryDeadLetters', [f.tenantId], (trx) => deadLetters.retryDeadLetters(d, trx, f)),
    discardDeadLetter: (a) =>
      audited('discardDeadLetter', [a.tenantId], (trx) => deadLetters.discardDeadLetter(d, trx, a)),
  };

  const keyStore: KeyStore = {
    insertApiKey: (tenantId, id, name, secretHash, now, scopes = []) =>
      keys.insertApiKey(db, { tenantId, id, name, secretHash, now, scopes }),
    findApiKey: (id) => keys.findApiKey(db, id),
  };

  const secretStore: SecretStore = {
    rotateIntegrationSecret: (r) =>
      audited('rotateIntegrationSecret', [r.tenantId], (trx) => secrets.rotateIntegrationSecret(d, trx, r)),
    revokeIntegrationSecret: (r) =>
      audited('revokeIntegrationSecret', [r.tenantId], (trx) => secrets.revokeIntegrationSecret(d, trx, r)),
    listIntegrationSecrets: (tenantId, integration) => secrets.listIntegrationSecrets(db, tenantId, integration),
  };

  const audit: AuditStore = {
    appendAudit: async (tenantId, entry, now) => {
      await audited('appendAudit', [tenantId], (trx) => appendAudit(d, trx, tenantId, entry, now));
    },
    readAudit: (tenantId, afterSeq, limit) => auditReads.readAudit(db, tenantId, afterSeq, limit),
    auditHead: (tenantId) => auditReads.auditHead(db, tenantId),
    auditTenants: () => auditReads.auditTenants(db),
  };

  const policyStore: PolicyStore = {
    insertPolicyVersion: (v) =>
      audited('insertPolicyVersion', [v.tenantId], (trx) => policy.insertPolicyVersion(d, trx, v)),
    getPolicyVersion: (tenantId, ref) => policy.getPolicyVersion(db, tenantId, ref),
    listPolicyVersions: (tenantId, limit, after) => policy.listPolicyVersions(db, tenantId, limit, after),
    approvePolicyVersion: (a) =>
      audited('approvePolicyVersion', [a.tenantId], (trx) => policy.approvePolicyVersion(d, trx, a)),
    activatePolicyVersion: (a) =>
      audited('activatePolicyVersion', [a.tenantId], (trx) => policy.activatePolicyVersion(d, trx, a)),
    activePolicies: (tenantIds) => policy.activePolicies(db, tenantIds),
    tenantsWithPolicyVersions: () => policy.tenantsWithPolicyVersions(db),
    listPolicyActivations: (tenantId, f) => policy.listPolicyActivations(db, tenantId, f),
  };

  const recordedDecisions: RecordedDecisionStore = {
    listRecordedDecisions: (tenantId, q) => recorded.listRecordedDecisions(db, tenantId, q),
    tenantsWithDecisions: () => recorded.tenantsWithDecisions(db),
  };

  const functionStore: FunctionStore = {
    insertFunctionVersion: (v) =>
      audited('insertFunctionVersion', [v.fn.tenantId], (trx) => fns.insertFunctionVersion(d, trx, v)),
    getFunctionVersion: (tenantId, name, version) => fns.getFunctionVersion(db, tenantId, name, version),
    getLatestFunctionVersion: (tenantId, name) => fns.getLatestFunctionVersion(db, tenantId, name),
    listFunctions: (tenantId, q) => fns.listFunctions(db, tenantId, q),
    listFunctionVersions: (tenantId, name, q) => fns.listFunctionVersions(db, tenantId, name, q),
    getFunctionSecret: (tenantId, name) => fns.getFunctionSecret(db, tenantId, name),
    setFunctionSecret: (s) => audited('setFunctionSecret', [s.tenantId], (trx) => fns.setFunctionSecret(d, trx, s)),
  };

  const outboxStore: OutboxStore = {
    claimDeliveries: (owner, targets, limit, leaseMs, now) =>
      outbox.claimDeliveries(d, owner, targets, limit, leaseMs, now),
    completeDelivery: async (row, now, then) => {
      const [done] = await inTransaction('completeDelivery', (trx) =>
        outbox.completeDeliveries(trx, [{ row, now, then }]),
      );
      return done === true;
    },
    completeDeliveries: (items) => inTransaction('completeDeliveries', (trx) => outbox.completeDeliveries(trx, items)),
    retryDeliveryLater: (row, error, nextAttemptAt) => outbox.retryDeliveryLater(d, row, error, nextAttemptAt),
    postponeDelivery: (row, nextAttemptAt) => outbox.postponeDelivery(d, row, nextAttemptAt),
    killDelivery: (row, reason, now, notice) =>
      audited('killDelivery', [row.tenantId], (trx) => outbox.killDelivery(d, trx, row, reason, now, notice)),
  };

  const subscriptions: SubscriptionStore = {
    createSubscription: (s) => audited('createSubscription', [s.tenantId], (trx) => subs.createSubscription(d, trx, s)),
    listSubscriptions: (tenantId) => subs.listSubscriptions(db, tenantId),
    getSubscription: async (tenantId, id) => (await subs.listSubscriptions(db, tenantId, id))[0],
    deleteSubscription: (a) => audited('deleteSubscription', [a.tenantId], (trx) => subs.deleteSubscription(d, trx, a)),
  };

  return {
    dialect: d.name,
    db,
    migrate: () => migrateToLatest(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    watchSlowTransactions: (watch) => d.transactions.watchSlow(watch),
    close: () => {
      d.transactions.stopWatching();
      return d.close();
    },
    ...events,
    ...pipeline,
    ...taskStore,
    ...deadLetterStore,
    ...keyStore,
    ...secretStore,
    ...audit,
    ...policyStore,
    ...recordedDecisions,
    ...functionStore,
    ...outboxStore,
    ...subscriptions,
  };
}
