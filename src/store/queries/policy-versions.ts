/**
 * Policy versions: insert (numbered per tenant), approve, activate (the tenant's active
 * pointer plus an activations row), each in one transaction with its audit entry. The caller
 * (the store's audited transaction) has locked the tenant's audit head first, so on PostgreSQL these writes
 * are serialised per tenant: two nodes creating a version at once get numbers n and n+1, and
 * two activations cannot both read the same "previous" version.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { newId } from '../ids.js';
import type {
  ActivePolicyRow,
  NewPolicyVersion,
  PolicyActivation,
  PolicyActivationResult,
  PolicyActivationRow,
  PolicyApproval,
  PolicyReview,
  PolicyVersionRow,
  PolicyVersionSummary,
} from '../policy-store.js';
import type { Database, PolicyVersionsTable } from '../schema.js';
import type { Page } from '../shared.js';
import { appendAudit } from './append-audit.js';
import { keysetPage } from './keyset-page.js';

const SUMMARY_COLUMNS = [
  'version',
  'number',
  'parent',
  'author',
  'message',
  'review',
  'approved_by',
  'approved_at',
  'created_at',
] as const;

type SummaryRow = Pick<Selectable<PolicyVersionsTable>, (typeof SUMMARY_COLUMNS)[number]>;

function toSummary(r: SummaryRow): PolicyVersionSummary {
  return {
    id: r.version,
    // Rows written before migration 0008 are numbered by it; null only if one slipped past.
    number: r.number === null ? 0 : Number(r.number),
    parent: r.parent,
    author: r.author,
    message: r.message,
    review: (r.review ?? 'not_required') as PolicyReview,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    createdAt: r.created_at,
  };
}

function toRow(r: Selectable<PolicyVersionsTable>): PolicyVersionRow {
  return { ...toSummary(r), document: JSON.parse(r.document) };
}

export async function getPolicyVersion(
  db: Kysely<Database> | Transaction<Database>,
  tenantId: string,
  ref: { id: string } | { number: number },
): Promise<PolicyVersionRow | undefined> {
  const r = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if('id' in ref, (q) => q.where('version', '=', (ref as { id: string }).id))
    .$if('number' in ref, (q) => q.where('number', '=', (ref as { number: number }).number))
    .executeTakeFirst();
  return r && toRow(r);
}

export async function insertPolicyVersion(
  d: StoreDialect,
  trx: Transaction<Database>,
  v: NewPolicyVersion,
): Promise<{ version: PolicyVersionRow; created: boolean }> {
  // Content addressed: the same document is the same version, whoever sends it again.
  const existing = await getPolicyVersion(trx, v.tenantId, { id: v.id });
  if (existing) return { version: existing, created: false };
  const last = await trx
    .selectFrom('policy_versions')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('tenant_id', '=', v.tenantId)
    .executeTakeFirst();
  const active = await trx
    .selectFrom('policy_active')
    .select('version')
    .where('tenant_id', '=', v.tenantId)
    .executeTakeFirst();
  const row = {
    tenant_id: v.tenantId,
    version: v.id,
    document: JSON.stringify(v.document),
    created_at: v.now,
    number: Number(last?.n ?? 0) + 1,
    parent: active?.version ?? null,
    author: v.author,
    message: v.message,
    review: v.review,
    approved_by: null,
    approved_at: null,
  };
  await trx.insertInto('policy_versions').values(row).execute();
  await appendAudit(
    d,
    trx,
    v.tenantId,
    {
      kind: 'policy.version.created',
      subject: v.id,
      data: {
        version: v.id,
        number: row.number,
        parent: row.parent,
        author: v.author,
        message: v.message,
        review: v.review,
      },
    },
    v.now,
  );
  return { version: toRow(row), created: true };
}

export function listPolicyVersions(
  db: Kysely<Database>,
  tenantId: string,
  limit: number,
  after?: number,
): Promise<Page<PolicyVersionSummary>> {
  return keysetPage(
    limit,
    (rows) =>
      db
        .selectFrom('policy_versions')
        .select([...SUMMARY_COLUMNS])
        .where('tenant_id', '=', tenantId)
        .$if(after !== undefined, (q) => q.where('number', '<', after as number))
        .orderBy('number', 'desc')
        .limit(rows)
        .execute(),
    toSummary,
    (v) => v.number,
  );
}

export async function approvePolicyVersion(
  d: StoreDialect,
  trx: Transaction<Database>,
  a: PolicyApproval,
): Promise<PolicyVersionRow | undefined> {
  const updated = await trx
    .updateTable('policy_versions')
    .set({ review: 'approved', approved_by: a.actor, approved_at: a.now })
    .where('tenant_id', '=', a.tenantId)
    .where('version', '=', a.version)
    .where('review', '=', 'pending')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return undefined;
  const row = await getPolicyVersion(trx, a.tenantId, { id: a.version });
  if (!row) return undefined;
  await appendAudit(
    d,
    trx,
    a.tenantId,
    {
      kind: 'policy.version.approved',
      subject: a.version,
      data: { version: a.version, number: row.number, author: row.author, approvedBy: a.actor },
    },
    a.now,
  );
  return row;
}

export async function activatePolicyVersion(
  d: StoreDialect,
  trx: Transaction<Database>,
  a: PolicyActivation,
): Promise<PolicyActivationResult> {
  const numberOf = async (version: string) => {
    const r = await trx
      .selectFrom('policy_versions')
      .select('number')
      .where('tenant_id', '=', a.tenantId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r && { number: r.number === null ? null : Number(r.number) };
  };
  const target = await numberOf(a.version);
  if (!target) return { status: 'not_found' };
  const current = await trx
    .selectFrom('policy_active')
    .select('version')
    .where('tenant_id', '=', a.tenantId)
    .executeTakeFirst();
  if (current?.version === a.version) return { status: 'already' };
  const previousNumber = current ? ((await numberOf(current.version))?.number ?? null) : null;
  const rollback = target.number !== null && previousNumber !== null && target.number < previousNumber;
  const activation: PolicyActivationRow = {
    id: newId(),
    version: a.version,
    number: target.number,
    previous: current?.version ?? null,
    previousNumber,
    actor: a.actor,
    reason: a.reason ?? (rollback ? 'rollback' : null),
    rollback,
    at: a.now,
  };
  await trx
    .insertInto('policy_active')
    .values({ tenant_id: a.tenantId, version: a.version, activated_at: a.now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ version: a.version, activated_at: a.now }))
    .execute();
  await trx
    .insertInto('policy_activations')
    .values({
      tenant_id: a.tenantId,
      id: activation.id,
      version: a.version,
      previous: activation.previous,
      actor: a.actor,
      reason: activation.reason,
      at: a.now,
    })
    .execute();
  await appendAudit(
    d,
    trx,
    a.tenantId,
    {
      kind: 'policy.version.activated',
      subject: a.version,
      data: {
        activationId: activation.id,
        version: a.version,
        number: activation.number,
        previous: activation.previous,
        rollback,
        actor: a.actor,
        reason: activation.reason,
      },
    },
    a.now,
  );
  return { status: 'activated', activation };
}

export async function activePolicies(db: Kysely<Database>, tenantIds: string[]): Promise<ActivePolicyRow[]> {
  if (tenantIds.length === 0) return [];
  const rows = await db
    .selectFrom('policy_active')
    .select(['tenant_id', 'version', 'activated_at'])
    .where('tenant_id', 'in', tenantIds)
    .orderBy('tenant_id')
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, version: r.version, activatedAt: r.activated_at }));
}

export function listPolicyActivations(
  db: Kysely<Database>,
  tenantId: string,
  f: { limit: number; after?: string; version?: string },
): Promise<Page<PolicyActivationRow>> {
  return keysetPage(
    f.limit,
    (rows) =>
      db
        .selectFrom('policy_activations as a')
        .leftJoin('policy_versions as v', (j) =>
          j.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.version', '=', 'a.version'),
        )
        .leftJoin('policy_versions as p', (j) =>
          j.onRef('p.tenant_id', '=', 'a.tenant_id').onRef('p.version', '=', 'a.previous'),
        )
        .select([
          'a.id',
          'a.version',
          'a.previous',
          'a.actor',
          'a.reason',
          'a.at',
          'v.number as number',
          'p.number as previous_number',
        ])
        .where('a.tenant_id', '=', tenantId)
        .$if(f.version !== undefined, (q) => q.where('a.version', '=', f.version as string))
        .$if(f.after !== undefined, (q) => q.where('a.id', '<', f.after as string))
        .orderBy('a.id', 'desc')
        .limit(rows)
        .execute(),
    (r): PolicyActivationRow => {
      const number = r.number === null ? null : Number(r.number);
      const previousNumber = r.previous_number === null ? null : Number(r.previous_number);
      return {
        id: r.id,
        version: r.version,
        number,
        previous: r.previous,
        previousNumber,
        actor: r.actor,
        reason: r.reason,
        rollback: number !== null && previousNumber !== null && number < previousNumber,
        at: r.at,
      };
    },
    (a) => a.id,
  );
}

/** Every tenant that has policy versions, by id. */
export async function tenantsWithPolicyVersions(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('policy_versions').select('tenant_id').distinct().orderBy('tenant_id').execute();
  return rows.map((r) => r.tenant_id);
}
