/**
 * The audit log is a per-tenant hash chain: each entry's hash covers its own content and the
 * previous entry's hash, so altering, deleting or reordering any stored row breaks the chain
 * from that row on. audit_heads holds the latest seq and hash, which catches a deleted tail.
 * This file is the hashing only (what the store appends with, src/store/queries/append-audit.ts);
 * checking a chain is src/audit/hash-chain.ts.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEntry {
  tenantId: string;
  seq: number;
  id: string;
  at: string;
  kind: string;
  subject: string;
  /** Canonical JSON text of the entry's data, exactly as stored. */
  data: string;
}

export function entryHash(prevHash: string, e: ChainedEntry): string {
  const content = canonicalJson({
    tenant: e.tenantId,
    seq: e.seq,
    id: e.id,
    at: e.at,
    kind: e.kind,
    subject: e.subject,
    data: e.data,
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}
