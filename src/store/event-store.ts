/**
 * Events: intake inserts them (deduplicated), pipeline workers lease them for an attempt and
 * put them back. Every method is scoped by tenant (invariant 7).
 */

export interface NewEvent {
  tenantId: string;
  integration: string;
  dedupeKey: string;
  receivedAt: string;
  body: string;
  /** Source headers the normalizer needs later (e.g. which GitHub event). */
  meta?: Record<string, string>;
}

export type InsertEventResult = { status: 'accepted'; id: string } | { status: 'duplicate'; id: string };

export interface ClaimedEvent {
  tenantId: string;
  id: string;
  integration: string;
  receivedAt: string;
  body: string;
  meta: Record<string, string>;
  attempts: number;
  leaseOwner: string;
}

export interface EventRow {
  id: string;
  integration: string;
  dedupeKey: string;
  receivedAt: string;
  status: string;
  attempts: number;
  duplicates: number;
  taskId: string | null;
  decisionId: string | null;
  error: string | null;
  processedAt: string | null;
}

export interface EventStore {
  /** Group commit: all rows in one transaction; duplicates (even within the batch) are counted, not inserted. */
  insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]>;
  claimEvents(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedEvent[]>;
  /** Put an event back for another attempt from `retryAt` on (after an unexpected error, or at shutdown). */
  releaseEvent(event: ClaimedEvent, error: string, retryAt: Date): Promise<void>;
  getEvent(tenantId: string, eventId: string): Promise<EventRow | undefined>;
}
