/**
 * Structural check of a `when` condition as written in the config. Returns problems as
 * [relative path, message] pairs so the loader can point at the exact YAML line.
 */
import { TASK_FIELDS } from '../core/task.js';

const OPERATORS = ['eq', 'in', 'contains', 'matches', 'gte', 'lte'];
const MAX_DEPTH = 16;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export type ConditionProblem = [path: (string | number)[], message: string];

export function validateCondition(value: unknown, path: (string | number)[] = [], depth = 0): ConditionProblem[] {
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
      return list.flatMap((item, i) => validateCondition(item, [...path, group, i], depth + 1));
    }
  }
  if ('not' in c) {
    if (keys.length !== 1) return [[path, '"not" must be the only key of its condition']];
    return validateCondition(c.not, [...path, 'not'], depth + 1);
  }
  if (!('field' in c)) return [[path, 'a condition needs all, any, not, or field + operator']];
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
