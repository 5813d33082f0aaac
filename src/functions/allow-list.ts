/**
 * The field allow-list (invariant 9): a function receives only the Task and Member fields its
 * version declares, and `now`. Everything else is removed before the call, so an undeclared
 * field is `undefined` inside the function, exactly the same in production, in `:test` and in
 * replay. Secrets are never among the fields.
 *
 * - `decide` / `score`: `{ task, candidates, now }`. Each candidate always keeps its `id`.
 * - `match`: `{ task, now }`.
 * - `transform`: `{ payload, now }`, where `fields.task` names `payload` (all of it) or
 *   `payload.<path>` parts of it; with neither, there is no `payload`.
 */
import type { Member, Snapshot } from '../core/policy.js';
import { type Task, TaskSchema } from '../core/task.js';
import type { FunctionInput, FunctionKind, FunctionVersion } from './types.js';

/** Task fields a decide, score or match function may declare (every field of the canonical Task). */
export const FUNCTION_TASK_FIELDS = Object.keys(TaskSchema.properties) as readonly (keyof Task)[];

/**
 * Member fields a decide or score function may declare for its candidates. The first seven
 * come from the roster (src/core/policy.ts Member), the rest from the snapshot decide() saw.
 */
export const FUNCTION_MEMBER_FIELDS = [
  /** Always passed, declared or not. */
  'id',
  'name',
  /** Skill → level 1..5. */
  'skills',
  /** Max open tasks. */
  'capacity',
  /** Tighter limits per task type. */
  'capacityByType',
  /** IANA zone. */
  'timezone',
  /** { slack?, jira?, github? } */
  'handles',
  /** Open tasks now (Snapshot.load; 0 when absent). */
  'load',
  /** Open tasks per task type now (Snapshot.loadByType). */
  'loadByType',
  /** Flagged away through the API. */
  'away',
  /** On leave now. */
  'onLeave',
  /** Outside their working hours now. */
  'offHours',
] as const;
export type FunctionMemberField = (typeof FUNCTION_MEMBER_FIELDS)[number];

/** Kinds whose input has `task` and `candidates`, `task` only, or `payload` only. */
export const KIND_INPUT: Record<FunctionKind, { task: boolean; candidates: boolean; payload: boolean }> = {
  decide: { task: true, candidates: true, payload: false },
  score: { task: true, candidates: true, payload: false },
  match: { task: true, candidates: false, payload: false },
  transform: { task: false, candidates: false, payload: true },
};

/** `payload` or `payload.a.b`: each segment any run of characters but dots and spaces. */
export const PAYLOAD_PATH = /^payload(\.[^.\s]{1,100}){0,20}$/;

/** Every member field a candidate can have, before the allow-list narrows it. */
export function memberFields(member: Member, snapshot: Snapshot): Record<FunctionMemberField, unknown> {
  return {
    id: member.id,
    name: member.name,
    skills: member.skills,
    capacity: member.capacity,
    capacityByType: member.capacityByType,
    timezone: member.timezone,
    handles: member.handles,
    load: snapshot.load[member.id] ?? 0,
    loadByType: snapshot.loadByType?.[member.id] ?? {},
    away: snapshot.away[member.id] === true,
    onLeave: snapshot.onLeave?.[member.id] === true,
    offHours: snapshot.offHours?.[member.id] === true,
  };
}

/** The input the function may see: only its declared fields, `id` for candidates, and `now`. */
export function restrictInput(fn: Pick<FunctionVersion, 'kind' | 'fields'>, input: FunctionInput): FunctionInput {
  const shape = KIND_INPUT[fn.kind];
  const out: FunctionInput = { now: input.now };
  if (shape.task) out.task = pick(input.task, fn.fields.task);
  if (shape.candidates) {
    const keys = ['id', ...fn.fields.member.filter((f) => f !== 'id')];
    out.candidates = (input.candidates ?? []).map((c) => pick(c, keys));
  }
  if (shape.payload) {
    const payload = pickPaths(input.payload, fn.fields.task);
    if (payload !== undefined) out.payload = payload;
  }
  return out;
}

function pick(from: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!from) return out;
  for (const k of keys) {
    if (Object.hasOwn(from, k) && from[k] !== undefined) out[k] = from[k];
  }
  return out;
}

/** The parts of the payload the `payload[.path]` entries name; undefined when none is declared. */
function pickPaths(payload: unknown, entries: readonly string[]): unknown {
  const paths = entries.filter((e) => PAYLOAD_PATH.test(e)).map((e) => e.split('.').slice(1));
  if (paths.length === 0) return undefined;
  if (paths.some((p) => p.length === 0)) return payload;
  let out: unknown;
  for (const p of paths) out = merge(out, along(payload, p));
  return out;
}

/** The value at `path`, wrapped back in its parents; through an array, applied to each element. */
function along(value: unknown, path: string[]): unknown {
  if (path.length === 0) return value;
  if (Array.isArray(value)) return value.map((v) => along(v, path));
  if (value === null || typeof value !== 'object') return undefined;
  const [head, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, head)) return undefined;
  const inner = along((value as Record<string, unknown>)[head], rest);
  return inner === undefined ? undefined : { [head]: inner };
}

function merge(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((v, i) => merge(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = { ...a };
    // defineProperty: a payload key named `__proto__` stays a plain key.
    for (const [k, v] of Object.entries(b))
      Object.defineProperty(out, k, {
        value: merge(Object.hasOwn(out, k) ? out[k] : undefined, v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return b;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
