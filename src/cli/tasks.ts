/** `switchyard tasks`: each task's status, who (or which queue) has it and why, straight from the store. */
import type { DecisionRow, TaskFilter, TaskRow } from '../store/task-store.js';
import { usage } from './exit.js';
import { openExistingStore } from './store-session.js';

export interface TasksOptions {
  db: string;
  tenant?: string;
  status?: string;
  assignee?: string;
  externalId?: string;
  limit: string;
  json?: boolean;
}

export async function tasks(o: TasksOptions): Promise<void> {
  const limit = Number(o.limit);
  if (!(Number.isInteger(limit) && limit > 0)) usage(`--limit must be a positive integer, got "${o.limit}"`);
  const filter: TaskFilter = {
    limit,
    ...(o.status !== undefined ? { status: o.status } : {}),
    ...(o.assignee !== undefined ? { assignee: o.assignee } : {}),
    ...(o.externalId !== undefined ? { externalId: o.externalId } : {}),
  };
  const filtered = filter.status ?? filter.assignee ?? filter.externalId;
  const store = await openExistingStore(o.db);
  try {
    const tenants = o.tenant ? [o.tenant] : await store.tenantsWithTasks();
    const out: unknown[] = [];
    let shown = 0;
    for (const tenantId of tenants) {
      const page = await store.listTasks(tenantId, filter);
      const decisions = new Map(
        (
          await store.getDecisions(
            tenantId,
            page.items.map((t) => t.currentDecisionId),
          )
        ).map((d) => [d.id, d]),
      );
      for (const t of page.items) {
        const decision = decisions.get(t.currentDecisionId);
        shown++;
        if (o.json) out.push({ tenant: tenantId, ...t, decision });
        else process.stdout.write(taskLines(tenantId, t, decision));
      }
    }
    if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else if (tenants.length === 0)
      process.stdout.write('No tasks yet. Send one: npx switchyard send examples/events/checkout-outage.json\n');
    else if (shown === 0 && filtered !== undefined) process.stdout.write('No tasks match.\n');
  } finally {
    await store.close();
  }
}

/**
 * `acme  SUP-1042  → alice  [payments-urgent]  assigned  Checkout fails…` and the explanation
 * below it. The status is printed on every row, so a closed task reads `closed` after whoever
 * had it; a task waiting in a queue names the queue.
 */
export function taskLines(tenantId: string, t: TaskRow, decision: DecisionRow | undefined): string {
  const who = t.assignee ? `→ ${t.assignee}` : `⏸ queue ${t.queue ?? '-'}`;
  const route = decision?.kind === 'override' ? 'override' : (decision?.route ?? 'fallback');
  return `${tenantId}  ${t.externalId}  ${who}  [${route}]  ${t.status}  ${t.title}\n    ${decision?.explanation ?? ''}\n`;
}
