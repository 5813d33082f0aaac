/**
 * A `transform` function in place of an integration's JSONata transform: payload → Task fields.
 * It plugs into the same place (Integration.transform), so every source's normalizer and the
 * Task validation stay as they are; a failure becomes the event's dead-letter reason.
 */
import type { PayloadTransform } from '../config/model.js';
import { type FunctionRef, formatRef } from '../core/index.js';
import { restrictInput } from './allow-list.js';
import { hashOf } from './decide-with-functions.js';
import type { FunctionHost } from './function-host.js';
import type { FunctionCallRecord } from './types.js';
import { validateOutput } from './validate-output.js';

export function functionTransform(
  host: FunctionHost,
  tenantId: string,
  ref: FunctionRef,
  now: Date,
  /** Receives the call's record, so the decision can list it with the others. */
  record: (call: FunctionCallRecord) => void,
): PayloadTransform {
  return {
    async evaluate(payload: unknown): Promise<unknown> {
      const fn = await host.lookup(tenantId, ref);
      if (!fn) throw new Error(`function ${formatRef(ref)} does not exist`);
      if (fn.kind !== 'transform') throw new Error(`${formatRef(ref)} is a ${fn.kind} function, not a transform`);
      const input = restrictInput(fn, { payload, now: now.toISOString() });
      const run = await host.run(fn, input);
      const base = {
        step: 'transform',
        name: fn.name,
        version: fn.version,
        contentHash: fn.contentHash,
        kind: fn.kind,
        runtime: fn.runtime,
        durationMs: Math.round(run.durationMs * 1000) / 1000,
        inputHash: hashOf(input),
      };
      if (run.outcome !== 'ok') {
        record({ ...base, outcome: run.outcome, error: run.error ?? run.outcome });
        throw new Error(`${formatRef(ref)} ${run.outcome === 'timeout' ? 'timed out' : 'failed'}: ${run.error ?? ''}`);
      }
      const valid = validateOutput('transform', run.value, {}, fn.outputSchema);
      if (!valid.ok) {
        record({ ...base, outcome: 'invalid', error: valid.error });
        throw new Error(`${formatRef(ref)} answered in the wrong shape: ${valid.error}`);
      }
      record({ ...base, outcome: 'ok' });
      return valid.value;
    },
  };
}
