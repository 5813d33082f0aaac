/**
 * Keyset paging, the one way every list in the store pages: ask for one row more than the
 * page holds; if it came, there is a next page, and its cursor is the key of the page's last
 * item (the query filters `key < after` or `key > after`, in its own order). Cursors are the
 * key itself (an id, a name, a number as text), which API clients pass back as `after`.
 */
import type { Page } from '../shared.js';

export async function keysetPage<R, T>(
  limit: number,
  fetch: (rows: number) => Promise<R[]>,
  toItem: (row: R) => T,
  keyOf: (item: T) => string | number,
): Promise<Page<T>> {
  const rows = await fetch(limit + 1);
  const items = rows.slice(0, limit).map(toItem);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? String(keyOf(last)) : null };
}
