/**
 * One version called on a sample, exactly as a decision would call it: the one code path behind
 * `POST /api/v1/functions/:name/versions/:v:test` and `switchyard functions test`. The sample
 * is checked against one schema, becomes the function's input (`now` defaults to the caller's
 * clock, normalised to RFC 3339 UTC), and the answer is validated for the version's kind, a
 * `decide` answer against the tenant's members as well as the sample's candidates.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type Static, Type } from 'typebox';
import { type FunctionHost, type TryResult, tryFunction } from './function-host.js';
import type { FunctionInput, FunctionVersion } from './types.js';

export const FunctionSampleSchema = Type.Object(
  {
    task: Type.Optional(Type.Object({}, { additionalProperties: true })),
    candidates: Type.Optional(
      Type.Array(Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: true }), {
        maxItems: 500,
      }),
    ),
    payload: Type.Optional(Type.Unknown()),
    now: Type.Optional(Type.String({ format: 'date-time', description: 'Default: the server clock' })),
  },
  {
    additionalProperties: false,
    description: 'A sample: what a decision would pass before the allow-list removes undeclared fields',
  },
);
export type FunctionSample = Static<typeof FunctionSampleSchema>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const validateSample = addFormats(new Ajv({ allErrors: true, strict: false })).compile<FunctionSample>(
  FunctionSampleSchema,
);

/** The sample checked as the API checks its body (the API lets fastify do it with the same schema). */
export function checkSample(value: unknown): { ok: true; sample: FunctionSample } | { ok: false; problems: string[] } {
  if (validateSample(value)) return { ok: true, sample: value };
  const problems = (validateSample.errors ?? []).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `${e.instancePath || '/'}: ${e.message}${extra ? ` (${extra})` : ''}`;
  });
  return { ok: false, problems };
}

export interface TestContext {
  /** The time a sample without `now` is decided at. */
  now: Date;
  /**
   * Who a `decide` answer may assign to besides the sample's candidates: the tenant's members,
   * as the version of its policy that decisions use has them.
   */
  memberIds: Iterable<string>;
}

/** The input a decision would pass for this sample, before the allow-list narrows it. */
export function sampleInput(sample: FunctionSample, now: Date): FunctionInput {
  return {
    now: sample.now === undefined ? now.toISOString() : new Date(sample.now).toISOString(),
    ...(sample.task !== undefined ? { task: sample.task as Record<string, unknown> } : {}),
    ...(sample.candidates !== undefined ? { candidates: sample.candidates as Record<string, unknown>[] } : {}),
    ...(sample.payload !== undefined ? { payload: sample.payload } : {}),
  };
}

/** Run `fn` on the sample: the validated value (or why not), its logs, its duration and the input it saw. */
export function testFunction(
  host: FunctionHost,
  fn: FunctionVersion,
  sample: FunctionSample,
  context: TestContext,
): Promise<TryResult> {
  return tryFunction(host, fn, sampleInput(sample, context.now), context.memberIds);
}
