/**
 * Table types as Kysely sees them. Every table carries tenant_id and every primary and
 * unique key starts with it, so a tenant-distributed PostgreSQL can shard without a schema
 * change. Ids are ULIDs minted by the app; times are RFC 3339 UTC strings with milliseconds
 * (fixed width, so they sort and compare as text on both stores).
 */
import type { Generated } from 'kysely';

export interface EventsTable {
  tenant_id: string;
  id: string;
  integration: string;
  dedupe_key: string;
  received_at: string;
  body: string;
  /** JSON of the source headers the normalizer needs; null for none. */
  meta: string | null;
  /** pending → processing → decided | merged | applied | ignored | dead */
  status: string;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_until: string | null;
  duplicates: Generated<number>;
  task_id: string | null;
  decision_id: string | null;
  error: string | null;
  processed_at: string | null;
}

export interface TasksTable {
  tenant_id: string;
  id: string;
  external_id: string;
  integration: string;
  title: string;
  /** assigned | acknowledged | queued | closed | cancelled */
  status: string;
  assignee: string | null;
  queue: string | null;
  priority: number | null;
  type: string | null;
  due_at: string | null;
  /** Backlog order while queued: priority (default 3) minus any VIP boost, at least 0. */
  queue_rank: number | null;
  closed_at: string | null;
  /** The canonical Task as JSON. */
  task: string;
  current_decision_id: string;
  created_at: string;
  updated_at: string;
}

export interface DecisionsTable {
  tenant_id: string;
  id: string;
  task_id: string;
  /** The event that caused it; null for overrides. */
  event_id: string | null;
  /** auto | override */
  kind: string;
  outcome: string;
  assignee: string | null;
  queue: string | null;
  route: string | null;
  strategy: string | null;
  policy_version: string;
  input_hash: string;
  explanation: string;
  /** JSON: candidates and routes tried. */
  detail: string;
  /** JSON: the snapshot decide() saw. */
  snapshot: string;
  /** JSON: the Task decide() saw (null for decisions recorded before 0008, and for overrides). */
  task: string | null;
  supersedes_id: string | null;
  reason: string | null;
  actor: string | null;
  created_at: string;
}

export interface MemberStateTable {
  tenant_id: string;
  member_id: string;
  open_tasks: number;
  away: number;
}

export interface RouteCursorsTable {
  tenant_id: string;
  route: string;
  /** The member the route assigned last. */
  member_id: string;
  /** The route's turn counter: +1 per assignment, compared-and-set. */
  turn: Generated<number>;
}

export interface RouteTurnsTable {
  tenant_id: string;
  route: string;
  member_id: string;
  /** The route's turn at which this member was last assigned. */
  turn: number;
}

export interface MemberTypeLoadTable {
  tenant_id: string;
  member_id: string;
  task_type: string;
  open_tasks: number;
}

export interface AuditLogTable {
  tenant_id: string;
  seq: number;
  id: string;
  at: string;
  kind: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: string;
}

export interface OutboxTable {
  tenant_id: string;
  id: string;
  decision_id: string;
  topic: string;
  target: string;
  idempotency_key: string;
  payload: string;
  /** pending | delivered | dead */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  created_at: string;
  /** The worker delivering it now; the row stays `pending` while leased. */
  lease_owner: Generated<string | null>;
  lease_until: Generated<string | null>;
  last_error: Generated<string | null>;
  delivered_at: Generated<string | null>;
}

export interface SubscriptionsTable {
  tenant_id: string;
  id: string;
  url: string;
  /** JSON array of topics; '*' = all. */
  events: string;
  /** Encrypted `whsec_` secret (see src/crypto/secret-box.ts). Never the plaintext. */
  secret: string;
  created_at: string;
}

export interface DeadLettersTable {
  tenant_id: string;
  id: string;
  /** event | delivery */
  kind: string;
  ref_id: string;
  reason: string;
  created_at: string;
}

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  /** SHA-256 of the secret part, hex. The key itself is shown once and never stored. */
  secret_hash: string;
  created_at: string;
  revoked_at: string | null;
  /** JSON array of extra scopes (e.g. `policy:approve`); null = none. */
  scopes: string | null;
}

export interface IntegrationSecretsTable {
  tenant_id: string;
  integration: string;
  id: string;
  /** Encrypted: `v1:` + base64 of IV, GCM tag and ciphertext. Never the plaintext. */
  secret: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface PolicyVersionsTable {
  tenant_id: string;
  /** `pv_` + 16 hex of the document's content hash: the id decisions name. */
  version: string;
  /** JSON: { policy, members, teams } as declared. Never changes. */
  document: string;
  created_at: string;
  /** 1, 2, 3… per tenant, for people (null only for rows written before 0008). */
  number: number | null;
  /** The version that was active when this one was made. */
  parent: string | null;
  /** `apikey:<api key id>`, `config:<file>` or `cli`. */
  author: string | null;
  message: string | null;
  /** `not_required` | `pending` | `approved` (null = written before 0008, treated as not_required). */
  review: string | null;
  approved_by: string | null;
  approved_at: string | null;
}

export interface PolicyActiveTable {
  tenant_id: string;
  version: string;
  activated_at: string;
}

export interface PolicyActivationsTable {
  tenant_id: string;
  id: string;
  version: string;
  previous: string | null;
  actor: string;
  reason: string | null;
  at: string;
}

export interface FunctionsTable {
  tenant_id: string;
  name: string;
  version: number;
  kind: string;
  runtime: string;
  /** JSON: kind, runtime, remote, fields, outputSchema, limits. */
  manifest: string;
  source: string | null;
  code: string | null;
  content_hash: string;
  author: string;
  message: string | null;
  created_at: string;
}

export interface FunctionSecretsTable {
  tenant_id: string;
  name: string;
  /** Encrypted like subscription secrets (src/crypto/secret-box.ts). */
  secret: string;
  created_at: string;
}

export interface Database {
  events: EventsTable;
  tasks: TasksTable;
  decisions: DecisionsTable;
  member_state: MemberStateTable;
  route_cursors: RouteCursorsTable;
  route_turns: RouteTurnsTable;
  member_type_load: MemberTypeLoadTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  outbox: OutboxTable;
  dead_letters: DeadLettersTable;
  api_keys: ApiKeysTable;
  policy_versions: PolicyVersionsTable;
  policy_active: PolicyActiveTable;
  policy_activations: PolicyActivationsTable;
  functions: FunctionsTable;
  function_secrets: FunctionSecretsTable;
  integration_secrets: IntegrationSecretsTable;
  subscriptions: SubscriptionsTable;
}
