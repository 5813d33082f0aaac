/** Integration signing secrets, rotated with an overlap and revoked; ciphertext only. */

/** A rotated secret as stored: `encrypted` is ciphertext (see src/crypto/secret-box.ts). */
export interface StoredSecretRow {
  id: string;
  encrypted: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface SecretRotation {
  tenantId: string;
  integration: string;
  id: string;
  encrypted: string;
  /** The other stored secrets expire at this time at the latest. */
  expireOthersAt: string;
  actor: string;
  now: string;
}

export interface SecretRevocation {
  tenantId: string;
  integration: string;
  id: string;
  actor: string;
  now: string;
}

export interface SecretStore {
  /** Insert the new secret, bound the others' expiry, audit `secret.rotated`; returns the ids whose expiry was set. */
  rotateIntegrationSecret(r: SecretRotation): Promise<string[]>;
  /** Audits `secret.revoked`; 'already' (nothing written) when it was revoked before. */
  revokeIntegrationSecret(r: SecretRevocation): Promise<'revoked' | 'already' | 'unknown'>;
  /** Every stored secret of the integration, revoked ones included, oldest first. */
  listIntegrationSecrets(tenantId: string, integration: string): Promise<StoredSecretRow[]>;
}
