/**
 * A decision's input identity: the canonical text of everything decide() saw (the Task, the
 * snapshot, the policy version, `now`). The same input must always give the same decision
 * (invariant 3); every decision stores the SHA-256 of these exact bytes as its input hash
 * (src/crypto/input-hash.ts), so replay can show a decision was made on what it says. Pure:
 * changing this text changes every stored hash.
 */
import { canonicalJson } from './canonical-json.js';
import type { Task } from './task.js';

export function inputHashText(task: Task, snapshot: unknown, policyVersion: string, now: Date): string {
  return canonicalJson({ task, snapshot, policyVersion, now: now.toISOString() });
}
