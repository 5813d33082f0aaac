/**
 * `when` conditions, compiled once per policy into plain predicates so decide() never
 * parses or builds a RegExp on the hot path.
 */
import type { ClockCondition, Condition, FieldCondition, Scalar, Snapshot } from './policy.js';
import type { Task } from './task.js';

export type Predicate = (task: Task, snapshot: Snapshot) => boolean;

const OPERATORS = ['eq', 'in', 'contains', 'matches', 'gte', 'lte'] as const;
type Operator = (typeof OPERATORS)[number];

export function operatorOf(c: FieldCondition): Operator {
  for (const op of OPERATORS) if (op in c) return op;
  throw new Error(`condition on ${c.field} has no operator`);
}

export function compileCondition(c: Condition | undefined): Predicate {
  if (c === undefined) return () => true;
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    return (t, s) => parts.every((p) => p(t, s));
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return (t, s) => parts.some((p) => p(t, s));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (t, s) => !inner(t, s);
  }
  if ('clock' in c) return compileClock(c);
  return compileField(c);
}

/** Array fields (labels) satisfy eq/in/matches when any element does; contains means "has element". */
function compileField(c: FieldCondition): Predicate {
  const field = c.field;
  const read = (t: Task): unknown => t[field];
  const anyOf =
    (test: (v: Scalar) => boolean): Predicate =>
    (t) => {
      const v = read(t);
      if (v === undefined || v === null) return false;
      return Array.isArray(v) ? v.some(test) : test(v as Scalar);
    };
  if ('eq' in c) {
    const want = c.eq;
    return anyOf((v) => v === want);
  }
  if ('in' in c) {
    const set = new Set<Scalar>(c.in);
    return anyOf((v) => set.has(v));
  }
  if ('contains' in c) {
    const want = c.contains;
    return (t) => {
      const v = read(t);
      if (Array.isArray(v)) return v.includes(want as string);
      return typeof v === 'string' && v.includes(String(want));
    };
  }
  if ('matches' in c) {
    const re = new RegExp(c.matches);
    return anyOf((v) => typeof v === 'string' && re.test(v));
  }
  if ('gte' in c) return compareWith(read, c.gte, (cmp) => cmp >= 0);
  if ('lte' in c) return compareWith(read, c.lte, (cmp) => cmp <= 0);
  throw new Error(`condition on ${field} has no operator`);
}

/** Weekday and local time in a team's zone, read from the snapshot's clocks (computed from `now`). */
function compileClock(c: ClockCondition): Predicate {
  const { team, weekdays, between } = c.clock;
  const days = weekdays ? new Set(weekdays) : null;
  const window = between ? [minutesOf(between[0]), minutesOf(between[1])] : null;
  return (_t, s) => {
    const clock = s.clocks?.[team];
    if (!clock) return false;
    if (days && !days.has(clock.weekday)) return false;
    if (!window) return true;
    const [from, to] = window as [number, number];
    return from < to ? clock.minutes >= from && clock.minutes < to : clock.minutes >= from || clock.minutes < to;
  };
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Numbers compare numerically; strings that are both RFC 3339 times compare as instants. */
function compareWith(read: (t: Task) => unknown, bound: number | string, ok: (cmp: number) => boolean): Predicate {
  if (typeof bound === 'number') {
    return (t) => {
      const v = read(t);
      return typeof v === 'number' && ok(v - bound);
    };
  }
  const boundTime = Date.parse(bound);
  return (t) => {
    const v = read(t);
    if (typeof v !== 'string') return false;
    const time = Date.parse(v);
    if (!Number.isNaN(time) && !Number.isNaN(boundTime)) return ok(time - boundTime);
    return ok(v < bound ? -1 : v > bound ? 1 : 0);
  };
}

/** A condition as a team lead would read it: `priority ≤ 2 and labels contains "payments"`. */
export function describeCondition(c: Condition | undefined): string {
  if (c === undefined) return 'always';
  if ('all' in c) return c.all.map((x) => wrap(x)).join(' and ');
  if ('any' in c) return c.any.map((x) => wrap(x)).join(' or ');
  if ('not' in c) return `not ${wrap(c.not)}`;
  if ('clock' in c) {
    const parts = [
      c.clock.weekdays ? `on ${c.clock.weekdays.join('/')}` : '',
      c.clock.between ? `between ${c.clock.between[0]} and ${c.clock.between[1]}` : '',
    ];
    return `${c.clock.team} local time is ${parts.filter(Boolean).join(' ') || 'any time'}`;
  }
  const op = operatorOf(c);
  const value = (c as Record<string, unknown>)[op];
  const symbol: Record<Operator, string> = {
    eq: '=',
    in: 'in',
    contains: 'contains',
    matches: 'matches',
    gte: '≥',
    lte: '≤',
  };
  return `${c.field} ${symbol[op]} ${JSON.stringify(value)}`;
}

function wrap(c: Condition): string {
  const s = describeCondition(c);
  return 'all' in c || 'any' in c ? `(${s})` : s;
}
