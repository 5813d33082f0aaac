/** The per-tenant hash-chained audit log (src/audit verifies and exports it). */

export interface AuditDraft {
  kind: string;
  /** The id the entry is about (decision, task, event …). */
  subject: string;
  data: unknown;
}

export interface AuditRow {
  seq: number;
  id: string;
  at: string;
  kind: string;
  subject: string;
  data: string;
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
