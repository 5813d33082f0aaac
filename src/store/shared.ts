/** Shapes several of the Store's concerns share. */

/** One page of a keyset-paged list (see queries/keyset-page.ts). */
export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; null at the end. */
  next: string | null;
}

/** An audited change to one row of a tenant's, by id (a dead letter, a subscription). */
export interface TenantAction {
  tenantId: string;
  id: string;
  actor: string;
  now: string;
}
