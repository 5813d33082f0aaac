/** `switchyard tasks`: who got each task and why, straight from the store. */
import { fail } from './options.js';
import { openExistingStore } from './store-session.js';

export interface TasksOptions {
  db: string;
  tenant?: string;
  limit: string;
  json?: boolean;
}

export async function tasks(o: TasksOptions): Promise<void> {
  const store = await openExistingStore(o.db);
  try {
    const tenants = o.tenant ? [o.tenant] : await store.tenantsWithTasks();
    const out: unknown[] = [];
    for (const tenantId of tenants) {
      const page = await store.listTasks(tenantId, { limit: Number(o.limit) || 20 });
      for (const t of page.items) {
        const decision = (await store.listDecisions(tenantId, t.id)).find((d) => d.id === t.currentDecisionId);
        if (o.json) {
          out.push({ tenant: tenantId, ...t, decision });
          continue;
        }
        const who = t.assignee ? `→ ${t.assignee}` : `⏸ queue ${t.queue}`;
        process.stdout.write(
          `${tenantId}  ${t.externalId}  ${who}  [${decision?.kind === 'override' ? 'override' : (decision?.route ?? 'fallback')}]  ${t.title}\n`,
        );
        process.stdout.write(`    ${decision?.explanation ?? ''}\n`);
      }
    }
    if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else if (tenants.length === 0)
      process.stdout.write('No tasks yet. Send one: npx switchyard send examples/events/checkout-outage.json\n');
  } finally {
    await store.close();
  }
}

export function requireTenant(tenant: string | undefined): string {
  return tenant ?? fail('--tenant is required');
}
