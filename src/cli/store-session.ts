/** What the commands that work on the store directly share: who acts, and an open store. */
import { userInfo } from 'node:os';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

/** The actor the audit trail records for CLI writes: `cli:<os user>`. */
export function cliActor(): string {
  let user = process.env.USER;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep $USER.
  }
  return `cli:${user || 'unknown'}`;
}

export async function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
