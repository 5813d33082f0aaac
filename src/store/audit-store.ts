/** The per-tenant hash-chained audit log (src/audit verifies and exports it). */
import type { ChainedEntry } from '../crypto/hash-chain.js';

export interface AuditDraft {
  kind: string;
  /** The id the entry is about (decision, task, event …). */
  subject: string;
  data: unknown;
}

/** A stored entry: what its hash covers (src/crypto/hash-chain.ts), and the hashes. */
export interface AuditRow extends Omit<ChainedEntry, 'tenantId'> {
  prevHash: string;
  hash: string;
}

export interface AuditStore {
  appendAudit(tenantId: string, entry: AuditDraft, now: string): Promise<void>;
  readAudit(tenantId: string, afterSeq: number, limit: number): Promise<AuditRow[]>;
  auditHead(tenantId: string): Promise<{ seq: number; hash: string } | undefined>;
  /** Every tenant with an audit log, by id. */
  auditTenants(): Promise<string[]>;
}
