/**
 * The audit log is a per-tenant hash chain: each entry's hash covers its own content and the
 * previous entry's hash, so altering, deleting or reordering any stored row breaks the chain
 * from that row on. audit_heads holds the latest seq and hash, which catches a deleted tail.
 * Checking a run of stored entries; the hashing itself is src/crypto/hash-chain.ts.
 */
import { type ChainedEntry, entryHash } from '../crypto/hash-chain.js';

export interface StoredEntry extends ChainedEntry {
  prevHash: string;
  hash: string;
}

export type ChainBreak =
  | { seq: number; id: string; problem: 'gap'; expectedSeq: number }
  | { seq: number; id: string; problem: 'prev_hash_mismatch' }
  | { seq: number; id: string; problem: 'hash_mismatch' };

/** Checks one run of entries, continuing from (prevSeq, prevHash). Returns the first break or null. */
export function verifyRun(
  entries: StoredEntry[],
  prevSeq: number,
  prevHash: string,
): { break: ChainBreak | null; lastSeq: number; lastHash: string } {
  let seq = prevSeq;
  let hash = prevHash;
  for (const e of entries) {
    if (e.seq !== seq + 1)
      return { break: { seq: e.seq, id: e.id, problem: 'gap', expectedSeq: seq + 1 }, lastSeq: seq, lastHash: hash };
    if (e.prevHash !== hash)
      return { break: { seq: e.seq, id: e.id, problem: 'prev_hash_mismatch' }, lastSeq: seq, lastHash: hash };
    if (entryHash(e.prevHash, e) !== e.hash)
      return { break: { seq: e.seq, id: e.id, problem: 'hash_mismatch' }, lastSeq: seq, lastHash: hash };
    seq = e.seq;
    hash = e.hash;
  }
  return { break: null, lastSeq: seq, lastHash: hash };
}
