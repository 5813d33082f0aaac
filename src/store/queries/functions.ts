/**
 * Custom function versions and remote functions' signing secrets. A version is never updated
 * or deleted; its number is max + 1 per (tenant, name), taken inside the audited transaction
 * (the tenant's audit head is locked first, so two uploads of one tenant number one after the
 * other; the primary key would refuse a duplicate anyway).
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type {
  FunctionInsertResult,
  FunctionKind,
  FunctionPageQuery,
  FunctionRuntime,
  FunctionSecretChange,
  FunctionVersion,
  FunctionVersionSummary,
  NewFunctionVersion,
  StoredFunctionSecret,
} from '../function-store.js';
import type { Database, FunctionsTable } from '../schema.js';
import { appendAudit } from './append-audit.js';
import { keysetPage } from './keyset-page.js';

/** What the `manifest` column holds. */
type StoredManifest = Pick<FunctionVersion, 'kind' | 'runtime' | 'remote' | 'fields' | 'outputSchema' | 'limits'>;

const SUMMARY_COLUMNS = [
  'tenant_id',
  'name',
  'version',
  'kind',
  'runtime',
  'manifest',
  'content_hash',
  'author',
  'message',
  'created_at',
] as const;

type SummaryRow = Pick<Selectable<FunctionsTable>, (typeof SUMMARY_COLUMNS)[number]>;

function toSummary(r: SummaryRow): FunctionVersionSummary {
  const m = JSON.parse(r.manifest) as StoredManifest;
  return {
    tenantId: r.tenant_id,
    name: r.name,
    version: Number(r.version),
    kind: r.kind as FunctionKind,
    runtime: r.runtime as FunctionRuntime,
    ...(m.remote ? { remote: m.remote } : {}),
    fields: m.fields,
    ...(m.outputSchema ? { outputSchema: m.outputSchema } : {}),
    limits: m.limits,
    contentHash: r.content_hash,
    author: r.author,
    ...(r.message !== null ? { message: r.message } : {}),
    createdAt: r.created_at,
  };
}

function toVersion(r: Selectable<FunctionsTable>): FunctionVersion {
  return {
    ...toSummary(r),
    ...(r.source !== null ? { source: r.source } : {}),
    ...(r.code !== null ? { code: r.code } : {}),
  };
}

async function latest(db: Kysely<Database>, tenantId: string, name: string) {
  return db
    .selectFrom('functions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertFunctionVersion(
  d: StoreDialect,
  trx: Transaction<Database>,
  v: NewFunctionVersion,
): Promise<FunctionInsertResult> {
  const { fn, now } = v;
  const prev = await latest(trx, fn.tenantId, fn.name);
  if (prev && prev.content_hash === fn.contentHash) return { status: 'unchanged', version: toVersion(prev) };

  const version = prev ? Number(prev.version) + 1 : 1;
  const manifest: StoredManifest = {
    kind: fn.kind,
    runtime: fn.runtime,
    ...(fn.remote ? { remote: fn.remote } : {}),
    fields: fn.fields,
    ...(fn.outputSchema ? { outputSchema: fn.outputSchema } : {}),
    limits: fn.limits,
  };
  await trx
    .insertInto('functions')
    .values({
      tenant_id: fn.tenantId,
      name: fn.name,
      version,
      kind: fn.kind,
      runtime: fn.runtime,
      manifest: JSON.stringify(manifest),
      source: fn.source ?? null,
      code: fn.code ?? null,
      content_hash: fn.contentHash,
      author: fn.author,
      message: fn.message ?? null,
      created_at: now,
    })
    .execute();

  let secretCreated = false;
  if (v.encryptedSecret !== undefined) {
    const r = await trx
      .insertInto('function_secrets')
      .values({ tenant_id: fn.tenantId, name: fn.name, secret: v.encryptedSecret, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
      .executeTakeFirst();
    secretCreated = Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  await appendAudit(
    d,
    trx,
    fn.tenantId,
    {
      kind: 'function.version.created',
      subject: `${fn.name}@${version}`,
      data: {
        name: fn.name,
        version,
        kind: fn.kind,
        runtime: fn.runtime,
        contentHash: fn.contentHash,
        author: fn.author,
        ...(secretCreated ? { secretCreated: true } : {}),
      },
    },
    now,
  );
  const stored = await trx
    .selectFrom('functions')
    .selectAll()
    .where('tenant_id', '=', fn.tenantId)
    .where('name', '=', fn.name)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return { status: 'created', version: toVersion(stored), secretCreated };
}

export async function getFunctionVersion(
  db: Kysely<Database>,
  tenantId: string,
  name: string,
  version: number,
): Promise<FunctionVersion | undefined> {
  const r = await db
    .selectFrom('functions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return r && toVersion(r);
}

export async function getLatestFunctionVersion(
  db: Kysely<Database>,
  tenantId: string,
  name: string,
): Promise<FunctionVersion | undefined> {
  const r = await latest(db, tenantId, name);
  return r && toVersion(r);
}

export function listFunctions(db: Kysely<Database>, tenantId: string, q: FunctionPageQuery) {
  return keysetPage(
    q.limit,
    (rows) =>
      db
        .selectFrom('functions as f')
        .select(SUMMARY_COLUMNS.map((c) => `f.${c}` as const))
        .where('f.tenant_id', '=', tenantId)
        .where(({ eb, selectFrom }) =>
          eb(
            'f.version',
            '=',
            selectFrom('functions as g')
              .select(({ fn }) => fn.max('g.version').as('v'))
              .whereRef('g.tenant_id', '=', 'f.tenant_id')
              .whereRef('g.name', '=', 'f.name'),
          ),
        )
        .$if(q.after !== undefined, (qb) => qb.where('f.name', '>', q.after as string))
        .orderBy('f.name')
        .limit(rows)
        .execute(),
    toSummary,
    (f) => f.name,
  );
}

export function listFunctionVersions(db: Kysely<Database>, tenantId: string, name: string, q: FunctionPageQuery) {
  const after = q.after === undefined ? undefined : Number(q.after);
  return keysetPage(
    q.limit,
    (rows) =>
      db
        .selectFrom('functions')
        .select(SUMMARY_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('name', '=', name)
        .$if(after !== undefined && Number.isInteger(after), (qb) => qb.where('version', '<', after as number))
        .orderBy('version', 'desc')
        .limit(rows)
        .execute(),
    toSummary,
    (f) => f.version,
  );
}

export async function getFunctionSecret(
  db: Kysely<Database>,
  tenantId: string,
  name: string,
): Promise<StoredFunctionSecret | undefined> {
  const r = await db
    .selectFrom('function_secrets')
    .select(['secret', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return r && { encrypted: r.secret, createdAt: r.created_at };
}

export async function setFunctionSecret(d: StoreDialect, trx: Transaction<Database>, s: FunctionSecretChange) {
  await trx
    .insertInto('function_secrets')
    .values({ tenant_id: s.tenantId, name: s.name, secret: s.encrypted, created_at: s.now })
    .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ secret: s.encrypted, created_at: s.now }))
    .execute();
  await appendAudit(
    d,
    trx,
    s.tenantId,
    { kind: 'function.secret.set', subject: s.name, data: { name: s.name, actor: s.actor } },
    s.now,
  );
}
