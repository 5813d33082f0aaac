import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningSecret } from './secret-box.js';

/**
 * True when `hex` (64 hex digits) is the HMAC-SHA256 of `prefix` + `body` under any of the
 * secrets. Every secret is tried without stopping at a match, and each comparison is
 * constant-time: the time taken says nothing about which secret, or which byte, differed.
 */
export function hexHmacMatches(hex: string, secrets: readonly SigningSecret[], body: Buffer, prefix = ''): boolean {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const offered = Buffer.from(hex, 'hex');
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret.key).update(prefix).update(body).digest();
    matched = timingSafeEqual(offered, expected) || matched;
  }
  return matched;
}
