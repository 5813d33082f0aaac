/**
 * A function's optional output schema (JSON Schema draft-07, ajv + ajv-formats): checked once
 * at upload, compiled once per schema object at run time.
 *
 * Each schema gets its own Ajv instance: one tenant's `$id` can neither collide with nor be
 * `$ref`-erenced from another tenant's schema. Unknown keywords and formats are errors
 * (strictSchema), so a typo such as `requried` is caught at upload instead of silently
 * validating nothing.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const newAjv = () =>
  addFormats(
    new Ajv({
      allErrors: false,
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      allowUnionTypes: true,
      logger: false,
    }),
  );

type Compiled = { ok: true; validate: ValidateFunction } | { ok: false; error: string };
const compiled = new WeakMap<object, Compiled>();

function compile(schema: Record<string, unknown>): Compiled {
  const cached = compiled.get(schema);
  if (cached) return cached;
  let result: Compiled;
  try {
    result = { ok: true, validate: newAjv().compile(schema) };
  } catch (e) {
    result = { ok: false, error: oneLine((e as Error).message) };
  }
  compiled.set(schema, result);
  return result;
}

/** The problems with an output schema, one line each; empty when it compiles. */
export function checkOutputSchema(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return ['outputSchema must be a JSON Schema object'];
  const ajv = newAjv();
  try {
    if (!ajv.validateSchema(schema))
      return (ajv.errors ?? []).map(
        (e) => `outputSchema${e.instancePath ? ` ${pointerToPath(e.instancePath)}` : ''} ${e.message ?? 'is invalid'}`,
      );
  } catch (e) {
    return [`outputSchema: ${oneLine((e as Error).message)}`];
  }
  const c = compile(schema as Record<string, unknown>);
  return c.ok ? [] : [`outputSchema: ${c.error}`];
}

/** Undefined when the value satisfies the schema; else why not, as one line. */
export function schemaProblem(schema: Record<string, unknown>, value: unknown): string | undefined {
  const c = compile(schema);
  if (!c.ok) return `output schema is invalid: ${c.error}`;
  if (c.validate(value)) return undefined;
  const e = c.validate.errors?.[0];
  return e ? `output schema: ${describeError(e)}` : 'output schema: the answer does not match';
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath ? JSON.stringify(clip(pointerToPath(e.instancePath))) : 'the answer';
  let text = `${where} ${e.message ?? 'is invalid'}`;
  const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
  if (e.keyword === 'additionalProperties' && typeof extra === 'string') text += ` (${JSON.stringify(clip(extra))})`;
  return oneLine(text);
}

/** `/scores/m~11` → `scores.m/1` (JSON pointer unescaped, dotted for people). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
