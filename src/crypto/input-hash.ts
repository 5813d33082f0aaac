/** What decide() saw, hashed: SHA-256 hex of the canonical input text (src/core/input-hash.ts). */
import { createHash } from 'node:crypto';
import { inputHashText } from '../core/input-hash.js';
import type { Task } from '../core/task.js';

export function inputHash(task: Task, snapshot: unknown, policyVersion: string, now: Date): string {
  return createHash('sha256')
    .update(inputHashText(task, snapshot, policyVersion, now))
    .digest('hex');
}
