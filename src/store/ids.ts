import { monotonicFactory } from 'ulidx';

/** Time-sortable ids (ULID), minted by the app so nodes never coordinate; monotonic within a process. */
export const newId: () => string = monotonicFactory();

/** RFC 3339 UTC with milliseconds: fixed width, so it sorts and compares as text. */
export function isoNow(now: Date = new Date()): string {
  return now.toISOString();
}
