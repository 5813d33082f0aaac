/** API keys: the secret's hash and the key's scopes. */
import type { Kysely } from 'kysely';
import type { ApiKeyRecord } from '../key-store.js';
import type { Database } from '../schema.js';

export async function insertApiKey(
  db: Kysely<Database>,
  k: { tenantId: string; id: string; name: string; secretHash: string; now: string; scopes: string[] },
): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      tenant_id: k.tenantId,
      id: k.id,
      name: k.name,
      secret_hash: k.secretHash,
      created_at: k.now,
      revoked_at: null,
      scopes: k.scopes.length ? JSON.stringify(k.scopes) : null,
    })
    .execute();
}

export async function findApiKey(db: Kysely<Database>, id: string): Promise<ApiKeyRecord | undefined> {
  // The one lookup not scoped by tenant: the key is what tells us the tenant.
  const r = await db
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
