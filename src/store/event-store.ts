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
  /**
   * Insert it already leased to a worker of this process (its first attempt), exactly as
   * claimEvents would have left it, so the worker can route it without claiming it back.
   * Applies only if the event is accepted: a duplicate never changes the stored row's lease.
   */
  lease?: EventLease;
}

/** A lease taken at insert: status 'processing', attempts 1. */
export interface EventLease {
  owner: string;
  /** RFC 3339 UTC: now + the worker's lease. */
  until: string;
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
  /**
   * Group commit: all rows in one transaction; duplicates (even within the batch) are counted,
   * not inserted. The first of a dedupe key in the batch is the one accepted (if no row has it yet).
   */
  insertEvents(batch: NewEvent[]): Promise<InsertEventResult[]>;
  claimEvents(owner: string, limit: number, leaseMs: number, now: Date): Promise<ClaimedEvent[]>;
  /** Put an event back for another attempt from `retryAt` on (after an unexpected error, or at shutdown). */
  releaseEvent(event: ClaimedEvent, error: string, retryAt: Date): Promise<void>;
  getEvent(tenantId: string, eventId: string): Promise<EventRow | undefined>;
}
