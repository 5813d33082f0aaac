/**
 * Looking up and running stored function versions: sandboxed ones in the sandbox, remote ones
 * over signed HTTP with their secret. `tryFunction` is one call on a sample input, exactly as a
 * decision makes it (allow-list, run, validation per kind), for `:test` and `functions test`.
 */
import { restrictInput } from './allow-list.js';
import type { FunctionRegistry } from './registry.js';
import { createRemoteRunner, type RemoteRunner } from './remote.js';
import { createSandbox, type Sandbox } from './sandbox/index.js';
import type { FunctionInput, FunctionRef, FunctionRun, FunctionVersion, RunOutcome } from './types.js';
import { validateOutput } from './validate-output.js';

export interface FunctionHost {
  lookup(tenantId: string, ref: FunctionRef): Promise<FunctionVersion | undefined>;
  /** Never throws: every ending is a FunctionRun. */
  run(fn: FunctionVersion, input: FunctionInput): Promise<FunctionRun>;
}

export function createFunctionHost(
  registry: FunctionRegistry,
  options: { sandbox?: () => Sandbox; remote?: RemoteRunner } = {},
): FunctionHost & { close(): Promise<void> } {
  let sandbox: Sandbox | undefined;
  const sandboxOf = () => {
    sandbox ??= options.sandbox ? options.sandbox() : createSandbox();
    return sandbox;
  };
  const remote = options.remote ?? createRemoteRunner();
  return {
    lookup: (tenantId, ref) => registry.get(tenantId, ref),
    /** Dispose the sandbox's isolates, if it was ever started. */
    async close() {
      await sandbox?.close();
    },
    async run(fn, input) {
      if (fn.runtime !== 'remote') return sandboxOf().run(fn, input);
      let secret: Buffer | undefined;
      try {
        secret = await registry.secretOf(fn.tenantId, fn.name);
      } catch (e) {
        return { outcome: 'error', error: (e as Error).message, logs: [], durationMs: 0 };
      }
      return remote.run(fn, input, secret ?? Buffer.alloc(0));
    },
  };
}

export interface TryResult {
  /** `invalid`: it answered, but not in the shape its kind (or its output schema) requires. */
  outcome: RunOutcome | 'invalid';
  /** The validated answer when `ok`; the raw answer when `invalid`. */
  value?: unknown;
  error?: string;
  logs: string[];
  durationMs: number;
  /** What the function was given: the sample narrowed to its declared fields. */
  input: FunctionInput;
}

/**
 * One call on a sample. `memberIds`: who a `decide` answer may assign to (the sample's
 * candidates are always among them).
 */
export async function tryFunction(
  host: FunctionHost,
  fn: FunctionVersion,
  sample: FunctionInput,
  memberIds: Iterable<string> = [],
): Promise<TryResult> {
  const input = restrictInput(fn, sample);
  const run = await host.run(fn, input);
  const base = { logs: run.logs, durationMs: run.durationMs, input };
  if (run.outcome !== 'ok') return { outcome: run.outcome, error: run.error ?? run.outcome, ...base };
  const candidateIds = (input.candidates ?? []).map((c) => String(c.id));
  const valid = validateOutput(
    fn.kind,
    run.value,
    { candidateIds, memberIds: new Set([...memberIds, ...candidateIds]) },
    fn.outputSchema,
  );
  return valid.ok
    ? { outcome: 'ok', value: valid.value, ...base }
    : { outcome: 'invalid', ...(run.value !== undefined ? { value: run.value } : {}), error: valid.error, ...base };
}
