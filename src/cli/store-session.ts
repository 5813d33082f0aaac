/** What the commands that work on the store directly share: who acts, and an open store. */
import { userInfo } from 'node:os';
import { type OpenStoreOptions, openStore, StoreNotFound } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { EXIT, fail } from './exit.js';

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

/** The store for a command that writes: a database that does not exist yet is created and migrated. */
export function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  return session(db, { create: true }, fn);
}

/**
 * The store for a command that reads (or acts on rows that must exist): a database that does
 * not exist is refused with a message naming it (an error exit, no stack), instead of created empty.
 */
export function withExistingStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  return session(db, { create: false }, fn);
}

/** openStore for a read command: `--db` naming no database fails with the message, not a stack trace. */
export function openExistingStore(db: string, options: Pick<OpenStoreOptions, 'migrate'> = {}): Promise<Store> {
  return openStore(db, { ...options, create: false }).catch((e: unknown) => {
    if (e instanceof StoreNotFound) fail(e.message, EXIT.usage);
    throw e;
  });
}

async function session<T>(db: string, options: { create: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = options.create ? await openStore(db) : await openExistingStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
