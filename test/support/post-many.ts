import { expect } from 'vitest';
import { postEvent } from './server.js';

/** Post signed events for these tasks to /hooks/acme/tickets, `parallel` at a time; every one must be accepted (202). */
export async function postMany(base: string, tasks: Record<string, unknown>[], parallel = 25): Promise<void> {
  for (let i = 0; i < tasks.length; i += parallel) {
    const batch = tasks.slice(i, i + parallel);
    const results = await Promise.all(batch.map((t) => postEvent(base, '/hooks/acme/tickets', t)));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(202);
  }
}
