/**
 * Encryption of rotated secrets at rest: AES-256-GCM under SWITCHYARD_SECRET_KEY (32 bytes,
 * base64 or hex). The stored text is `v1:` + base64(IV ‖ tag ‖ ciphertext); the tenant,
 * integration and id are bound as associated data, so a row copied elsewhere does not decrypt.
 * Also the shape of a signing secret: `whsec_<base64>` for Standard Webhooks (integration type
 * `generic`, outbound webhooks, remote functions), the text as written for every other source.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A key that signs or verifies requests (HMAC-SHA256), possibly expiring (rotation). */
export interface SigningSecret {
  /** Raw key bytes: the base64 part of `whsec_…` (generic), else the secret or token as UTF-8. */
  key: Buffer;
  /** Epoch ms after which the secret is no longer accepted; undefined = no expiry. */
  expiresAt?: number;
}

/** An integration type (config/model.ts IntegrationType): `generic` means a `whsec_` secret. */
type SecretKind = string;

export const SECRET_KEY_ENV = 'SWITCHYARD_SECRET_KEY';

/** SWITCHYARD_SECRET_KEY is unset or not a 32-byte key: rotation is unavailable. */
export class SecretKeyError extends Error {
  constructor(readonly missing: boolean) {
    super(
      missing
        ? `${SECRET_KEY_ENV} is not set: rotated secrets are stored encrypted and need a 32-byte key ` +
            `(e.g. \`openssl rand -base64 32\`). Secrets in the config keep working without it.`
        : `${SECRET_KEY_ENV} must be 32 bytes, given as base64 (44 characters) or hex (64 characters).`,
    );
    this.name = 'SecretKeyError';
  }
}

let memo: { raw: string; key: Buffer } | undefined;

/** The key from the environment (read on each call, so tests and operators may set it late). */
export function secretKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer {
  const raw = env[SECRET_KEY_ENV]?.trim();
  if (!raw) throw new SecretKeyError(true);
  if (memo?.raw === raw) return memo.key;
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(raw)) key = Buffer.from(raw, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw))
    key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  else throw new SecretKeyError(false);
  if (key.length !== 32) throw new SecretKeyError(false);
  memo = { raw, key };
  return key;
}

const aad = (tenantId: string, integration: string, id: string) => Buffer.from(`${tenantId}\0${integration}\0${id}`);

export function encryptSecret(key: Buffer, where: [string, string, string], plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(...where));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

/** Throws when the key is wrong or the text was altered. */
export function decryptSecret(key: Buffer, where: [string, string, string], stored: string): string {
  if (!stored.startsWith('v1:')) throw new Error('unknown secret encoding');
  const raw = Buffer.from(stored.slice(3), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(aad(...where));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** A fresh secret: `whsec_` + base64 of 32 random bytes (generic), else 43 base64url characters. */
export function generateSecret(type: SecretKind): string {
  const bytes = randomBytes(32);
  return type === 'generic' ? `whsec_${bytes.toString('base64')}` : bytes.toString('base64url');
}

/** The same key bytes buildIntegration derives from a config secret. */
export function signingKeyOf(type: SecretKind, value: string): Buffer {
  return type === 'generic' ? Buffer.from(value.slice('whsec_'.length), 'base64') : Buffer.from(value, 'utf8');
}

export function toSigningSecret(type: SecretKind, value: string, expiresAt: string | null): SigningSecret {
  return expiresAt === null
    ? { key: signingKeyOf(type, value) }
    : { key: signingKeyOf(type, value), expiresAt: Date.parse(expiresAt) };
}
