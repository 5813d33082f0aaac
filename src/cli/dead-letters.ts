/**
 * switchyard dead-letters list | retry <id> | retry --all | discard <id>: on the store directly
 * (like `keys create`); every action is audited with actor `cli`.
 */

import type { DeadLetterRow, DeadLetterStore } from '../store/dead-letter-store.js';
import { fail, usage } from './exit.js';
import { withExistingStore as withStore } from './store-session.js';

type Db = { db: string };

async function tenantsWithDeadLetters(store: DeadLetterStore, tenant?: string): Promise<string[]> {
  return tenant ? [tenant] : store.tenantsWithDeadLetters();
}

/** The tenant of a dead letter id (ids are unique across tenants), unless given. */
async function tenantOf(store: DeadLetterStore, id: string, tenant?: string): Promise<string | undefined> {
  return tenant ?? store.deadLetterTenant(id);
}

export async function deadLettersList(o: Db & { tenant?: string; kind?: string; json?: boolean }): Promise<void> {
  await withStore(o.db, async (store) => {
    const all: (DeadLetterRow & { tenant: string })[] = [];
    for (const tenant of await tenantsWithDeadLetters(store, o.tenant)) {
      let after: string | undefined;
      do {
        const page = await store.listDeadLetters(tenant, 500, after);
        for (const d of page.items) if (!o.kind || d.kind === o.kind) all.push({ tenant, ...d });
        after = page.next ?? undefined;
      } while (after);
    }
    if (o.json) {
      process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return;
    }
    if (all.length === 0) process.stdout.write('No dead letters.\n');
    for (const d of all)
      process.stdout.write(`${d.id}  ${d.tenant}  ${d.kind.padEnd(8)}  ${d.createdAt}  ${d.refId}  ${d.reason}\n`);
  });
}

export async function deadLettersRetry(
  id: string | undefined,
  o: Db & { tenant?: string; all?: boolean; target?: string },
): Promise<void> {
  await withStore(o.db, async (store) => {
    const now = () => new Date().toISOString();
    if (o.all) {
      if (id) usage('give a dead letter id or --all, not both');
      let total = 0;
      for (const tenantId of await tenantsWithDeadLetters(store, o.tenant)) {
        for (;;) {
          const n = await store.retryDeadLetters({ tenantId, target: o.target, limit: 1000, actor: 'cli', now: now() });
          total += n;
          if (n < 1000) break;
        }
      }
      process.stdout.write(`retried ${total} dead letter${total === 1 ? '' : 's'}\n`);
      return;
    }
    if (!id) usage('give a dead letter id, or --all');
    if (o.target) usage('--target goes with --all');
    const tenantId = await tenantOf(store, id, o.tenant);
    if (!tenantId) fail(`no dead letter ${id}`);
    const r = await store.retryDeadLetter({ tenantId, id, actor: 'cli', now: now() });
    if (r === 'not_found') fail(`no dead letter ${id}`);
    if (r === 'event') fail(`${id} is an event dead letter: events cannot be retried from the dead letters yet`);
    process.stdout.write(`retried ${id}: the delivery is pending again\n`);
  });
}

export async function deadLettersDiscard(id: string, o: Db & { tenant?: string }): Promise<void> {
  await withStore(o.db, async (store) => {
    const tenantId = await tenantOf(store, id, o.tenant);
    if (!tenantId) fail(`no dead letter ${id}`);
    const r = await store.discardDeadLetter({ tenantId, id, actor: 'cli', now: new Date().toISOString() });
    if (r === 'not_found') fail(`no dead letter ${id}`);
    process.stdout.write(`discarded ${id}\n`);
  });
}
