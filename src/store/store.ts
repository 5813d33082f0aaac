/**
 * The whole Store: every concern's interface, plus its lifecycle. Each concern is declared in
 * its own file with its rows and drafts (event-store.ts, task-store.ts …); a caller takes the
 * narrowest of them it needs, and only server.ts and the CLI's session hold the whole Store.
 * Every method takes the tenant and scopes every query by it (invariant 7); no caller outside
 * store/ writes SQL. Implemented once over Kysely (sql-store.ts); the sqlite/ and postgres/
 * folders hold what differs between the two databases.
 */
import type { AuditStore } from './audit-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { EventStore } from './event-store.js';
import type { FunctionStore } from './function-store.js';
import type { KeyStore } from './key-store.js';
import type { TransactionWatch } from './open-transactions.js';
import type { OutboxStore } from './outbox-store.js';
import type { PipelineStore } from './pipeline-store.js';
import type { PolicyStore } from './policy-store.js';
import type { RecordedDecisionStore } from './recorded-decision-store.js';
import type { SecretStore } from './secret-store.js';
import type { SubscriptionStore } from './subscription-store.js';
import type { TaskStore } from './task-store.js';

export interface StoreLifecycle {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /** The watchdog: report each transaction open longer than `watch.limitMs` (open-transactions.ts). */
  watchSlowTransactions(watch: TransactionWatch): void;
  close(): Promise<void>;
}

export interface Store
  extends StoreLifecycle,
    EventStore,
    PipelineStore,
    TaskStore,
    DeadLetterStore,
    KeyStore,
    SecretStore,
    AuditStore,
    PolicyStore,
    RecordedDecisionStore,
    FunctionStore,
    OutboxStore,
    SubscriptionStore {}
