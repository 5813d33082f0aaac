/**
 * Dead letters: events the pipeline gave up on and deliveries the outbox gave up on, and what
 * an operator does with them (retry, discard), each audited. Scoped by tenant (invariant 7).
 */
import type { Page, TenantAction } from './shared.js';

export interface DeadLetterRow {
  id: string;
  kind: string;
  refId: string;
  reason: string;
  createdAt: string;
}

export interface DeadLetterFilter {
  tenantId: string;
  /** The row's target: exactly, or a target name (`webhook` matches every `webhook:<id>`). */
  target?: string;
  /** Dead letters created at or after this instant (ISO). */
  since?: string;
  limit: number;
  actor: string;
  now: string;
}

export interface DeadLetterStore {
  /** Newest first; page with `after` = the previous page's `next`. */
  listDeadLetters(tenantId: string, limit: number, after?: string): Promise<Page<DeadLetterRow>>;
  /** Every tenant that has dead letters, by id. */
  tenantsWithDeadLetters(): Promise<string[]>;
  /** The tenant of a dead letter (ids are unique across tenants), for an operator who gives only the id. */
  deadLetterTenant(id: string): Promise<string | undefined>;
  /** A delivery dead letter back to pending with attempts reset (audited); 'event' for event dead letters. */
  retryDeadLetter(a: TenantAction): Promise<'retried' | 'not_found' | 'event'>;
  /** retryDeadLetter for every delivery dead letter matching the filter (oldest first, at most `limit`); how many. */
  retryDeadLetters(f: DeadLetterFilter): Promise<number>;
  /** Remove a dead letter (audited); the row it refers to stays as it is. */
  discardDeadLetter(a: TenantAction): Promise<'discarded' | 'not_found'>;
}
