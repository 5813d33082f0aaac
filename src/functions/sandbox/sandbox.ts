/**
 * Runs tenant functions in V8 isolates (isolated-vm): a separate heap per function version with
 * its own memory limit, no Node.js API inside, JSON text in and out. A call runs on the host
 * thread for at most a 2 ms budget; a version that needs longer runs on isolated-vm's own threads
 * from then on, so the host's event loop keeps serving while it runs (or loops). Why isolated-vm and not QuickJS, with the measurements: docs/functions-sandbox.md.
 *
 * One warm isolate per (tenant, content hash): created, hardened (prelude.ts), compiled and
 * linked (isolate.ts) on the first call, then reused, least recently used first out past
 * `maxWarm`. A warm call is one `apply` of a string into the isolate and one string back:
 * synchronously within a 2 ms budget (~30 µs), or, for a version that once needed longer, on isolated-vm's threads
 * (~60–150 µs, thread wake-ups included; see bench/sandbox.ts). Calls to one isolate are
 * queued on the host so the hard stop below measures only the call's own run.
 *
 * Faults, all reported as a FunctionRun, never thrown:
 * - over `timeoutMs`: V8 terminates the call ('timeout'); if the isolate does not stop within
 *   `hardStopGraceMs` more (code V8 cannot interrupt), the isolate is disposed;
 * - over `memoryMb`: isolated-vm disposes the isolate ('error');
 * - a throw, a non-JSON answer, a syntax error: 'error' with a one-line reason.
 * After a timeout or a fatal fault the isolate is dropped; the next call builds a fresh one.
 */
import type { FunctionInput, FunctionRun, FunctionVersion, SandboxLimits } from '../types.js';
import {
  buildSlot,
  type Ending,
  loadFailure,
  messageOf,
  OUT_OF_MEMORY,
  type Slot,
  TIMED_OUT,
  type Warm,
} from './isolate.js';
import { PENDING, preludeSource } from './prelude.js';

export interface SandboxOptions {
  /** Warm isolates kept, one per (tenant, content hash); least recently used evicted. Default 64. */
  maxWarm?: number;
  /** console lines kept per call (the last one says how many more were dropped). Default 50. */
  maxLogLines?: number;
  /** Characters per console line (longer ones are cut). Default 500. */
  maxLogLineLength?: number;
  /** Characters of JSON a function may answer. Default 1,000,000. */
  maxOutputChars?: number;
  /** How long past `timeoutMs` the host waits before disposing an isolate that did not stop. Default 100 ms. */
  hardStopGraceMs?: number;
  /** isolated-vm lost control of an isolate (see its README): the isolate is dropped either way. */
  onCatastrophicError?: (message: string) => void;
  /**
   * A version's calls first run synchronously on the host thread with this much time (default
   * 2 ms; 0 turns the fast path off). One that ever needs longer, or returns a promise, is
   * demoted for good: its calls then run on isolated-vm's threads with its full `timeoutMs`.
   */
  syncBudgetMs?: number;
}

export interface SandboxStats {
  /** Isolates alive now. */
  warm: number;
  /** Function modules compiled since the sandbox was created (a warm call compiles nothing). */
  compiles: number;
  /** Versions moved off the synchronous fast path (they once needed longer than its budget). */
  demoted: number;
}

export interface Sandbox {
  /** Never throws for anything the function does: every ending is a FunctionRun. */
  run(fn: FunctionVersion, input: FunctionInput): Promise<FunctionRun>;
  stats(): SandboxStats;
  /** Dispose every isolate; later runs end in 'error'. */
  close(): Promise<void>;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const maxWarm = Math.max(1, options.maxWarm ?? 64);
  const grace = options.hardStopGraceMs ?? 100;
  const syncBudgetMs = options.syncBudgetMs ?? DEFAULT_SYNC_BUDGET_MS;
  /** Versions (tenant, content hash) demoted from the synchronous fast path, across isolate rebuilds. */
  const demoted = new Set<string>();
  const prelude = preludeSource({
    maxLogLines: options.maxLogLines ?? 50,
    maxLogLineLength: options.maxLogLineLength ?? 500,
    maxOutputChars: options.maxOutputChars ?? 1_000_000,
  });
  /** LRU: Map order is recency (a hit moves its key to the end). */
  const slots = new Map<string, Promise<Slot>>();
  const live = new Set<Warm>();
  let compiles = 0;
  let closed = false;

  function dispose(w: Warm): void {
    if (!live.delete(w)) return;
    try {
      w.call.release();
      w.context.release();
    } catch {
      // already gone with its isolate
    }
    try {
      if (!w.isolate.isDisposed) w.isolate.dispose();
    } catch {
      // disposed concurrently
    }
  }

  /** Stop using `w`: forgotten now, disposed once its queued calls are done. */
  function retire(w: Warm): void {
    w.retired = true;
    const current = slots.get(w.key);
    if (current)
      void current.then(
        (s) => s === w && slots.get(w.key) === current && slots.delete(w.key),
        () => undefined,
      );
    if (w.busy === 0) dispose(w);
  }

  function evictOverflow(): void {
    for (const [key, slot] of slots) {
      if (slots.size <= maxWarm) return;
      slots.delete(key);
      void slot.then(
        (s) => s.kind === 'warm' && retire(s),
        () => undefined,
      );
    }
  }

  async function build(fn: FunctionVersion, key: string, code: string): Promise<Slot> {
    compiles++;
    const slot = await buildSlot(fn, key, code, prelude, (isolate, message) => {
      options.onCatastrophicError?.(message);
      for (const w of live) if (w.isolate === isolate) retire(w);
    });
    if (slot.kind === 'warm') {
      live.add(slot);
      if (closed) retire(slot);
    }
    return slot;
  }

  async function slotFor(fn: FunctionVersion, code: string): Promise<Slot> {
    const key = `${fn.tenantId}\u0000${fn.contentHash}`;
    const cached = slots.get(key);
    if (cached) {
      const slot = await cached.catch(() => undefined);
      // Same hash, different code: the hash was not what the store computes; never mix them up.
      if (slot && slot.code === code && !(slot.kind === 'warm' && slot.retired)) {
        if (slots.get(key) === cached) {
          slots.delete(key);
          slots.set(key, cached);
        }
        return slot;
      }
      if (slots.get(key) === cached) slots.delete(key);
      if (slot?.kind === 'warm') retire(slot);
    }
    const building = build(fn, key, code);
    slots.set(key, building);
    evictOverflow();
    building.catch(() => {
      if (slots.get(key) === building) slots.delete(key);
    });
    return building;
  }

  /** The answer text the prelude returns, classified. */
  function ending(text: string, memoryMb: number): Ending {
    const answer = JSON.parse(text) as { l: string[]; v?: unknown; e?: string };
    if (answer.e === undefined) return { outcome: 'ok', value: answer.v, logs: answer.l };
    const error = /^RangeError: Array buffer allocation failed/.test(answer.e)
      ? `${answer.e} (over the memory limit of ${memoryMb} MB)`
      : answer.e;
    return { outcome: 'error', error, logs: answer.l };
  }

  /**
   * The fast path: one synchronous call, bounded by the sync budget. An async hop to
   * isolated-vm's threads costs 40–100 µs of thread wake-ups on this 2-core VM (bench/sandbox.ts),
   * more than most functions take to run; a synchronous call costs about 3 µs. The host thread
   * is held for at most the budget, and only until the version is demoted: a function that
   * loops costs the host one budget, once, then runs off-thread like any slow function.
   * Returns RETRY when the call must run again off-thread (the isolate is retired first).
   */
  function invokeSync(w: Warm, json: string, nowMs: number, memoryMb: number): Ending | typeof RETRY {
    try {
      const text = w.call.applySync(undefined, [json, nowMs, 0], { timeout: syncBudgetMs });
      if (text !== PENDING) return ending(text, memoryMb);
    } catch (e) {
      if (!TIMED_OUT.test(messageOf(e))) {
        retire(w);
        if (w.isolate.isDisposed || OUT_OF_MEMORY.test(messageOf(e)))
          return { outcome: 'error', error: `exceeded its memory limit of ${memoryMb} MB`, logs: [] };
        return { outcome: 'error', error: `the sandbox failed: ${messageOf(e)}`, logs: [] };
      }
    }
    // Over the budget, or a promise (its microtasks belong off-thread): demote and run it again there.
    demoted.add(w.key);
    retire(w);
    return RETRY;
  }

  /** One call in a warm isolate: run, collect a promise's answer, classify the ending. */
  async function invoke(w: Warm, json: string, nowMs: number, limits: SandboxLimits): Promise<Ending | typeof RETRY> {
    const { timeoutMs, memoryMb } = limits;
    if (syncBudgetMs > 0 && timeoutMs > syncBudgetMs && !demoted.has(w.key))
      return invokeSync(w, json, nowMs, memoryMb);
    let timer: NodeJS.Timeout | undefined;
    const hardStop = new Promise<typeof HARD_STOP>((resolve) => {
      timer = setTimeout(() => resolve(HARD_STOP), timeoutMs + grace);
    });
    try {
      const first = await Promise.race([w.call.apply(undefined, [json, nowMs, 0], { timeout: timeoutMs }), hardStop]);
      if (first === HARD_STOP) {
        retire(w);
        dispose(w);
        return { outcome: 'timeout', error: `ran longer than ${timeoutMs} ms (the isolate was stopped)`, logs: [] };
      }
      // A promise: the isolate ran its microtasks before the call returned, so it has settled or never will.
      const text = first === PENDING ? await w.call.apply(undefined, ['', 0, 1], { timeout: timeoutMs }) : first;
      return ending(text, memoryMb);
    } catch (e) {
      const message = messageOf(e);
      if (TIMED_OUT.test(message)) {
        let logs: string[] = [];
        try {
          const text = await w.call.apply(undefined, ['', 0, 2], { timeout: 50 });
          logs = (JSON.parse(text) as { l: string[] }).l;
        } catch {
          // no logs then
        }
        retire(w);
        return { outcome: 'timeout', error: `ran longer than ${timeoutMs} ms`, logs };
      }
      retire(w);
      if (w.isolate.isDisposed || OUT_OF_MEMORY.test(message))
        return { outcome: 'error', error: `exceeded its memory limit of ${memoryMb} MB`, logs: [] };
      return { outcome: 'error', error: `the sandbox failed: ${message}`, logs: [] };
    } finally {
      clearTimeout(timer);
    }
  }

  async function runOnce(fn: FunctionVersion, input: FunctionInput): Promise<Ending> {
    if (closed) return { outcome: 'error', error: 'the sandbox is closed', logs: [] };
    const code = fn.code;
    if (fn.runtime === 'remote' || typeof code !== 'string')
      return { outcome: 'error', error: `${fn.name}@${fn.version} has no code to run in the sandbox`, logs: [] };
    const nowMs = Date.parse(input.now);
    if (!Number.isFinite(nowMs))
      return { outcome: 'error', error: `input.now is not an RFC 3339 time: ${JSON.stringify(input.now)}`, logs: [] };
    let json: string;
    try {
      json = JSON.stringify(input);
    } catch (e) {
      return { outcome: 'error', error: `its input is not JSON: ${messageOf(e)}`, logs: [] };
    }
    // A call queued behind one that retired the isolate (timeout, memory) moves to a fresh one.
    for (let attempt = 0; ; attempt++) {
      if (closed) return { outcome: 'error', error: 'the sandbox is closed', logs: [] };
      let slot: Slot;
      try {
        slot = await slotFor(fn, code);
      } catch (e) {
        return loadFailure(fn.limits, e);
      }
      if (slot.kind === 'broken') return { outcome: 'error', error: slot.error, logs: [] };
      const w = slot;
      w.busy++;
      const previous = w.tail;
      let release = () => {};
      w.tail = new Promise<void>((resolve) => {
        release = resolve;
      });
      try {
        await previous;
        if (!w.retired) {
          const done = await invoke(w, json, nowMs, fn.limits);
          if (done !== RETRY) return done;
        }
        if (attempt >= 2)
          return { outcome: 'error', error: 'the sandbox failed: its isolate kept being replaced', logs: [] };
      } finally {
        release();
        w.busy--;
        if (w.retired && w.busy === 0) dispose(w);
      }
    }
  }

  return {
    async run(fn, input) {
      const started = performance.now();
      let ending: Ending;
      try {
        ending = await runOnce(fn, input);
      } catch (e) {
        ending = { outcome: 'error', error: `the sandbox failed: ${messageOf(e)}`, logs: [] };
      }
      return { ...ending, durationMs: round3(performance.now() - started) };
    },
    stats: () => ({ warm: live.size, compiles, demoted: demoted.size }),
    async close() {
      closed = true;
      const pending = [...slots.values()];
      slots.clear();
      await Promise.allSettled(pending);
      for (const w of [...live]) retire(w);
    },
  };
}

const HARD_STOP = Symbol('hard stop');
/** invoke(): run the call again, off-thread, on a fresh isolate. */
const RETRY = Symbol('retry off-thread');
const DEFAULT_SYNC_BUDGET_MS = 2;
