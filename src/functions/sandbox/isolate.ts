/**
 * One isolate per function version, built: the isolated-vm side of the sandbox (sandbox.ts
 * keeps the pool of warm isolates and dispatches calls into them).
 */
import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import type { FunctionVersion, RunOutcome, SandboxLimits } from '../types.js';
import { FUNCTION_FILENAME } from './prelude.js';

export type CallFn = (json: string, now: number, op: number) => string;

export interface Warm {
  kind: 'warm';
  key: string;
  code: string;
  isolate: ivm.Isolate;
  context: ivm.Context;
  call: ivm.Reference<CallFn>;
  /** Calls to one isolate run one after the other. */
  tail: Promise<void>;
  busy: number;
  retired: boolean;
}

/** A version whose module cannot be built (syntax, imports, no default export, top level threw). */
export interface Broken {
  kind: 'broken';
  key: string;
  code: string;
  error: string;
}

export type Slot = Warm | Broken;

export interface Ending {
  outcome: RunOutcome;
  value?: unknown;
  error?: string;
  logs: string[];
}

const MIN_MEMORY_MB = 8;

export const TIMED_OUT = /Script execution timed out/;
/** isolated-vm: `Isolate was disposed during execution due to memory limit`. */
export const OUT_OF_MEMORY = /memory limit/i;

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The PRNG seed for Math.random: the first 32 bits of sha256(contentHash). */
function seedOf(contentHash: string): number {
  return createHash('sha256').update(contentHash).digest().readInt32BE(0);
}

/** `Unexpected token ';' [function.js:2:13]` → `SyntaxError: Unexpected token ';' (line 2:13)`. */
function compileError(e: unknown): string {
  const raw = messageOf(e);
  const m = /^(.*) \[[^\]]*:(\d+):(\d+)\]$/s.exec(raw);
  const name = e instanceof Error ? e.name : 'Error';
  return m ? `${name}: ${m[1]} (line ${m[2]}:${m[3]})` : `${name}: ${raw}`;
}

class BuildError extends Error {}

/** Building the isolate failed for a reason other than the code itself (time or memory while loading). */
export function loadFailure(limits: SandboxLimits, e: unknown): Ending {
  const message = messageOf(e);
  if (TIMED_OUT.test(message))
    return { outcome: 'timeout', error: `its module ran longer than ${limits.timeoutMs} ms while loading`, logs: [] };
  if (OUT_OF_MEMORY.test(message) || /disposed/i.test(message))
    return { outcome: 'error', error: `exceeded its memory limit of ${limits.memoryMb} MB while loading`, logs: [] };
  return { outcome: 'error', error: `the sandbox failed: ${message}`, logs: [] };
}

/**
 * A fresh isolate for one version: hardened by the prelude, the module compiled, linked and
 * evaluated, its default export bound. A fault of the code itself is a Broken slot; a fault of
 * time or memory while loading is thrown (loadFailure() reads it).
 */
export async function buildSlot(
  fn: FunctionVersion,
  key: string,
  code: string,
  prelude: string,
  onCatastrophicError: (isolate: ivm.Isolate, message: string) => void,
): Promise<Slot> {
  const isolate = new ivm.Isolate({
    memoryLimit: Math.max(MIN_MEMORY_MB, fn.limits.memoryMb),
    onCatastrophicError: (message) => onCatastrophicError(isolate, message),
  });
  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(prelude, { filename: 'sandbox-prelude.js' });
    const bind = (await script.run(context, { reference: true, timeout: 5_000 })) as ivm.Reference<
      (fn: unknown, seed: number) => CallFn
    >;
    script.release();
    let module: ivm.Module;
    try {
      module = await isolate.compileModule(code, { filename: FUNCTION_FILENAME });
    } catch (e) {
      throw new BuildError(compileError(e));
    }
    const imports = module.dependencySpecifiers;
    if (imports.length > 0)
      throw new BuildError(`imports are not available to functions (it imports ${imports.join(', ')})`);
    await module.instantiate(context, () => {
      throw new Error('imports are not available to functions');
    });
    try {
      await module.evaluate({ timeout: fn.limits.timeoutMs });
    } catch (e) {
      if (TIMED_OUT.test(messageOf(e)) || isolate.isDisposed) throw e;
      throw new BuildError(`its module threw while loading: ${compileError(e)}`);
    }
    let exported: ivm.Reference<unknown>;
    try {
      exported = await module.namespace.get('default', { reference: true });
    } catch (e) {
      // Its top level awaited something that never settled (no timers exist in the sandbox).
      throw new BuildError(`its module did not finish loading (${compileError(e)})`);
    }
    let call: ivm.Reference<CallFn>;
    try {
      call = (await bind.apply(undefined, [exported.derefInto(), seedOf(fn.contentHash)], {
        result: { reference: true },
        timeout: 5_000,
      })) as unknown as ivm.Reference<CallFn>;
    } catch (e) {
      throw new BuildError(messageOf(e));
    }
    exported.release();
    bind.release();
    module.release();
    const w: Warm = {
      kind: 'warm',
      key,
      code,
      isolate,
      context,
      call,
      tail: Promise.resolve(),
      busy: 0,
      retired: false,
    };
    return w;
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    if (e instanceof BuildError) return { kind: 'broken', key, code, error: e.message };
    throw e;
  }
}
