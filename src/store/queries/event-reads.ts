/** One event as the API shows it (its status, attempts, and what it became). */
import type { Kysely } from 'kysely';
import type { EventRow } from '../event-store.js';
import { toEventRow } from '../rows.js';
import type { Database } from '../schema.js';

export async function getEvent(db: Kysely<Database>, tenantId: string, eventId: string): Promise<EventRow | undefined> {
  const r = await db
    .selectFrom('events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', eventId)
    .executeTakeFirst();
  return r && toEventRow(r);
}
