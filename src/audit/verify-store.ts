/** Walk a tenant's whole audit chain from the store, page by page, and report the first break. */

import { GENESIS_HASH } from '../crypto/hash-chain.js';
import type { AuditStore } from '../store/audit-store.js';
import { type ChainBreak, verifyRun } from './hash-chain.js';

export type AuditProblem =
  | ChainBreak
  | { problem: 'head_mismatch'; seq: number; headSeq: number; detail: string }
  | { problem: 'missing_head'; seq: number; detail: string };

export interface AuditReport {
  tenantId: string;
  entries: number;
  ok: boolean;
  firstProblem: AuditProblem | null;
}

const PAGE = 1000;

export async function verifyTenantAudit(store: AuditStore, tenantId: string): Promise<AuditReport> {
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const rows = await store.readAudit(tenantId, prevSeq, PAGE);
    if (rows.length === 0) break;
    const result = verifyRun(
      rows.map((r) => ({ ...r, tenantId })),
      prevSeq,
      prevHash,
    );
    if (result.break)
      return { tenantId, entries: entries + (result.lastSeq - prevSeq), ok: false, firstProblem: result.break };
    entries += rows.length;
    prevSeq = result.lastSeq;
    prevHash = result.lastHash;
  }
  const head = await store.auditHead(tenantId);
  if (!head) {
    const firstProblem =
      entries > 0
        ? { problem: 'missing_head' as const, seq: prevSeq, detail: 'entries exist but the chain head is gone' }
        : null;
    return { tenantId, entries, ok: firstProblem === null, firstProblem };
  }
  if (head.seq !== prevSeq || head.hash !== prevHash) {
    return {
      tenantId,
      entries,
      ok: false,
      firstProblem: {
        problem: 'head_mismatch',
        seq: prevSeq + 1,
        headSeq: head.seq,
        detail:
          head.seq > prevSeq
            ? `entries ${prevSeq + 1}..${head.seq} are missing (deleted from the end of the chain)`
            : 'the chain head does not match the last entry',
      },
    };
  }
  return { tenantId, entries, ok: true, firstProblem: null };
}

export function describeAuditProblem(p: AuditProblem): string {
  switch (p.problem) {
    case 'gap':
      return `entry seq ${p.seq} (id ${p.id}) follows seq ${p.expectedSeq - 1}: entry ${p.expectedSeq} is missing or the rows were reordered`;
    case 'prev_hash_mismatch':
      return `entry seq ${p.seq} (id ${p.id}) does not point at the previous entry's hash: a row before it was altered, deleted or reordered`;
    case 'hash_mismatch':
      return `entry seq ${p.seq} (id ${p.id}) does not match its hash: it was altered`;
    case 'head_mismatch':
    case 'missing_head':
      return p.detail;
  }
}
