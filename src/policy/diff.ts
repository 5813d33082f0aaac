/**
 * Structural diff of two routing documents (`{ policy, members, teams }`, what a policy version
 * holds). Pure. Routes are matched by name, members and teams by id; a field that is absent on
 * one side has no `from` (added) or no `to` (removed). Plain objects (skills, business hours,
 * weights …) are compared key by key, so a change reads `skills.kafka: 2 → 3`; lists and
 * conditions are compared whole, because their order means something.
 *
 * Reordering: of the routes both versions have, the fewest that must move to turn the old order
 * into the new one (everything outside a longest increasing run of new positions). A route
 * inserted at the top shifts every index but reorders nothing.
 */

import type { RoutingDocument } from '../config/tenant.js';
import { canonicalJson } from '../core/index.js';

type RouteDoc = RoutingDocument['policy']['routes'][number];
type MemberDoc = RoutingDocument['members'][number];
type TeamDoc = RoutingDocument['teams'][number];

export interface FieldChange {
  /** Dotted path inside the route, member or team: `strategy`, `skills.kafka`, `businessHours.end`. */
  field: string;
  /** Absent: the field was not set before. */
  from?: unknown;
  /** Absent: the field is not set any more. */
  to?: unknown;
}

export interface RoutesDiff {
  /** `index`: 0-based position in the new policy. */
  added: { name: string; index: number; route: RouteDoc }[];
  /** `index`: 0-based position in the old policy. */
  removed: { name: string; index: number; route: RouteDoc }[];
  /** 0-based positions, old → new. */
  reordered: { name: string; from: number; to: number }[];
  /** `index`: 0-based position in the new policy. */
  changed: { name: string; index: number; changes: FieldChange[] }[];
}

export interface EntitiesDiff<T> {
  added: T[];
  removed: T[];
  changed: { id: string; changes: FieldChange[] }[];
}

export interface PolicyDiff {
  from: string;
  to: string;
  /** No routing difference at all (a different version id can still differ only in member or team order). */
  identical: boolean;
  fallbackQueue: { from: string; to: string } | null;
  routes: RoutesDiff;
  members: EntitiesDiff<MemberDoc>;
  teams: EntitiesDiff<TeamDoc>;
}

/** Fields in the order a reader expects them; any others follow alphabetically. */
const ROUTE_FIELD_ORDER = [
  'when',
  'strategy',
  'teams',
  'members',
  'assignee',
  'skills',
  'during',
  'hoursTeam',
  'requireSkills',
  'excludeOffHours',
  'ignoreCapacity',
  'boost',
  'queueIfNoneEligible',
  'escalateTo',
  'match',
  'function',
  'score',
  'onFunctionError',
];
const MEMBER_FIELD_ORDER = [
  'name',
  'capacity',
  'capacityByType',
  'skills',
  'timezone',
  'workingHours',
  'leave',
  'handles',
];
const TEAM_FIELD_ORDER = ['name', 'members', 'timezone', 'businessHours', 'onCall', 'escalation'];
/** Compared whole even though they are objects: a condition is read as one expression. */
const WHOLE = new Set(['when']);

export function diffRouting(
  a: RoutingDocument,
  b: RoutingDocument,
  versions: { from: string; to: string } = { from: 'a', to: 'b' },
): PolicyDiff {
  const fallbackQueue =
    a.policy.fallbackQueue === b.policy.fallbackQueue
      ? null
      : { from: a.policy.fallbackQueue, to: b.policy.fallbackQueue };
  const routes = diffRoutes(a.policy.routes, b.policy.routes);
  const members = diffEntities(a.members, b.members, MEMBER_FIELD_ORDER);
  const teams = diffEntities(a.teams, b.teams, TEAM_FIELD_ORDER);
  const empty = (d: { added: unknown[]; removed: unknown[]; changed: unknown[] }) =>
    d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
  const identical =
    fallbackQueue === null && empty(routes) && routes.reordered.length === 0 && empty(members) && empty(teams);
  return { ...versions, identical, fallbackQueue, routes, members, teams };
}

function diffRoutes(before: RouteDoc[], after: RouteDoc[]): RoutesDiff {
  const oldIndex = new Map(before.map((r, i) => [r.name, i]));
  const newIndex = new Map(after.map((r, i) => [r.name, i]));
  const added = after.flatMap((route, index) => (oldIndex.has(route.name) ? [] : [{ name: route.name, index, route }]));
  const removed = before.flatMap((route, index) =>
    newIndex.has(route.name) ? [] : [{ name: route.name, index, route }],
  );
  // Common routes in old order, with their new positions; those off a longest increasing run moved.
  const common = before.filter((r) => newIndex.has(r.name)).map((r) => r.name);
  const stay = new Set(longestIncreasingRun(common.map((n) => newIndex.get(n) as number)).map((i) => common[i]));
  const reordered = common
    .filter((n) => !stay.has(n))
    .map((name) => ({ name, from: oldIndex.get(name) as number, to: newIndex.get(name) as number }))
    .sort((x, y) => x.to - y.to);
  const changed = after.flatMap((route, index) => {
    const i = oldIndex.get(route.name);
    if (i === undefined) return [];
    const changes = diffFields(
      before[i] as Record<string, unknown>,
      route as Record<string, unknown>,
      ROUTE_FIELD_ORDER,
      ['name'],
    );
    return changes.length ? [{ name: route.name, index, changes }] : [];
  });
  return { added, removed, reordered, changed };
}

function diffEntities<T extends { id: string }>(before: T[], after: T[], order: string[]): EntitiesDiff<T> {
  const was = new Map(before.map((x) => [x.id, x]));
  const now = new Map(after.map((x) => [x.id, x]));
  return {
    added: after.filter((x) => !was.has(x.id)),
    removed: before.filter((x) => !now.has(x.id)),
    changed: after.flatMap((x) => {
      const old = was.get(x.id);
      if (!old) return [];
      const changes = diffFields(old as Record<string, unknown>, x as Record<string, unknown>, order, ['id']);
      return changes.length ? [{ id: x.id, changes }] : [];
    }),
  };
}

function diffFields(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  order: string[],
  skip: string[],
  prefix = '',
): FieldChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => !skip.includes(k) && (a[k] !== undefined || b[k] !== undefined),
  );
  keys.sort((x, y) => rank(order, x) - rank(order, y) || (x < y ? -1 : x > y ? 1 : 0));
  const changes: FieldChange[] = [];
  for (const key of keys) {
    const from = a[key];
    const to = b[key];
    if (same(from, to)) continue;
    const field = `${prefix}${key}`;
    if (isPlainObject(from) && isPlainObject(to) && !WHOLE.has(field)) {
      changes.push(...diffFields(from, to, [], [], `${field}.`));
      continue;
    }
    changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return changes;
}

function rank(order: string[], key: string): number {
  const i = order.indexOf(key);
  return i === -1 ? order.length : i;
}

function same(x: unknown, y: unknown): boolean {
  return canonicalJson(x) === canonicalJson(y);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Indices (into `xs`) of one longest strictly increasing subsequence; O(n log n). */
export function longestIncreasingRun(xs: number[]): number[] {
  const tails: number[] = [];
  const prev: number[] = new Array(xs.length).fill(-1);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((xs[tails[mid] as number] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] as number;
    tails[lo] = i;
  }
  const out: number[] = [];
  for (let i = tails.at(-1) ?? -1; i !== -1; i = prev[i] as number) out.push(i);
  return out.reverse();
}
