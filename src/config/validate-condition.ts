/**
 * Structural check of a `when` condition as written in the config. Returns problems as
 * [relative path, message] pairs so the loader can point at the exact YAML line.
 */
import { TASK_FIELDS } from '../core/task.js';

const OPERATORS = ['eq', 'in', 'contains', 'matches', 'gte', 'lte'];
const MAX_DEPTH = 16;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export type ConditionProblem = [path: (string | number)[], message: string];

/** `teams`, when given, is the set of team ids a clock condition may name. */
export function validateCondition(
  value: unknown,
  path: (string | number)[] = [],
  depth = 0,
  teams?: ReadonlySet<string>,
): ConditionProblem[] {
  if (depth > MAX_DEPTH) return [[path, `conditions nest deeper than ${MAX_DEPTH} levels`]];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [[path, 'a condition must be an object: {all: [...]}, {any: [...]}, {not: {...}} or {field: …, <op>: …}']];
  }
  const c = value as Record<string, unknown>;
  const keys = Object.keys(c);
  for (const group of ['all', 'any'] as const) {
    if (group in c) {
      if (keys.length !== 1) return [[path, `"${group}" must be the only key of its condition`]];
      const list = c[group];
      if (!Array.isArray(list) || list.length === 0) return [[[...path, group], `"${group}" needs a non-empty list`]];
      return list.flatMap((item, i) => validateCondition(item, [...path, group, i], depth + 1, teams));
    }
  }
  if ('not' in c) {
    if (keys.length !== 1) return [[path, '"not" must be the only key of its condition']];
    return validateCondition(c.not, [...path, 'not'], depth + 1, teams);
  }
  if ('clock' in c) {
    if (keys.length !== 1) return [[path, '"clock" must be the only key of its condition']];
    return validateClock(c.clock, [...path, 'clock'], teams);
  }
  if (!('field' in c)) return [[path, 'a condition needs all, any, not, clock, or field + operator']];
  if (!TASK_FIELDS.includes(c.field as never)) {
    return [[[...path, 'field'], `unknown task field ${JSON.stringify(c.field)}; one of ${TASK_FIELDS.join(', ')}`]];
  }
  const ops = keys.filter((k) => k !== 'field');
  const unknown = ops.filter((k) => !OPERATORS.includes(k));
  if (unknown.length) return [[[...path, unknown[0] as string], `unknown operator; one of ${OPERATORS.join(', ')}`]];
  if (ops.length !== 1)
    return [[path, `exactly one operator per condition (${OPERATORS.join(', ')}), found ${ops.length}`]];
  const op = ops[0] as string;
  const v = c[op];
  const at = [...path, op];
  const scalar = (x: unknown) => ['string', 'number', 'boolean'].includes(typeof x);
  switch (op) {
    case 'in':
      return Array.isArray(v) && v.length > 0 && v.every(scalar) ? [] : [[at, '"in" needs a non-empty list of values']];
    case 'matches':
      if (typeof v !== 'string') return [[at, '"matches" needs a regular expression string']];
      try {
        new RegExp(v);
        return [];
      } catch (e) {
        return [[at, `invalid regular expression: ${(e as Error).message}`]];
      }
    case 'gte':
    case 'lte':
      return typeof v === 'number' || (typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v)))
        ? []
        : [[at, `"${op}" needs a number or an RFC 3339 time such as 2026-01-31T09:00:00Z`]];
    default:
      return scalar(v) ? [] : [[at, `"${op}" needs a string, number or boolean`]];
  }
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function validateClock(value: unknown, path: (string | number)[], teams?: ReadonlySet<string>): ConditionProblem[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [[path, 'clock needs { team, weekdays?: [mon, …], between?: ["HH:mm", "HH:mm"] }']];
  }
  const c = value as Record<string, unknown>;
  const problems: ConditionProblem[] = [];
  const unknown = Object.keys(c).filter((k) => !['team', 'weekdays', 'between'].includes(k));
  if (unknown.length)
    problems.push([[...path, unknown[0] as string], 'unknown key; clock takes team, weekdays and between']);
  if (typeof c.team !== 'string') problems.push([path, 'clock needs the team whose time zone to read']);
  else if (teams && !teams.has(c.team)) problems.push([[...path, 'team'], `unknown team "${c.team}"`]);
  if (
    c.weekdays !== undefined &&
    !(Array.isArray(c.weekdays) && c.weekdays.length > 0 && c.weekdays.every((d) => WEEKDAYS.includes(d)))
  ) {
    problems.push([[...path, 'weekdays'], `weekdays is a non-empty list of ${WEEKDAYS.join(', ')}`]);
  }
  if (c.between !== undefined) {
    const b = c.between;
    if (
      !(Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === 'string' && HHMM.test(x)) && b[0] !== b[1])
    ) {
      problems.push([
        [...path, 'between'],
        'between is ["HH:mm", "HH:mm"] (two different local times; the second may be earlier to wrap past midnight)',
      ]);
    }
  }
  if (c.weekdays === undefined && c.between === undefined)
    problems.push([path, 'clock needs weekdays, between, or both']);
  return problems;
}
