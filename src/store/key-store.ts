/** API keys: only the hash of the secret is stored. */

export interface ApiKeyRecord {
  tenantId: string;
  secretHash: string;
  revoked: boolean;
  scopes: string[];
}

export interface KeyStore {
  /** `scopes`: extra permissions such as `policy:approve` (default none). */
  insertApiKey(
    tenantId: string,
    id: string,
    name: string,
    secretHash: string,
    now: string,
    scopes?: string[],
  ): Promise<void>;
  /** The one lookup not scoped by tenant: the key is what tells us the tenant. */
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
}
