/**
 * The script that prepares a fresh context inside the isolate before any tenant code runs. It
 * runs once per warm context and, in this order:
 *
 * 1. replaces the clock: `Date.now()`, `new Date()`, `Date()` and `Intl.DateTimeFormat#format()`
 *    without an argument all answer the call's `input.now`;
 * 2. replaces `Math.random` with a PRNG (mulberry32) re-seeded from the function's content hash
 *    at the start of every call: every call of one version sees the same sequence;
 * 3. installs a `console` whose log/info/warn/error lines are kept (bounded) for the run record;
 * 4. removes `WebAssembly` (growing a wasm memory is neither interruptible by the time limit nor
 *    counted by the heap limit);
 * 5. freezes every intrinsic reachable from the global object (and the few reachable only through
 *    syntax), then the global object itself: `Object.prototype.x = 1` throws (modules are strict
 *    code), so a call can leave nothing behind on the built-ins for the next call.
 *
 * It evaluates to `bind(fn, seed)`, which returns `call(json, nowMs, op)`: the only entry point
 * the host uses. Everything crossing the boundary is a string or a number: the input arrives as
 * JSON text and is parsed inside; the answer leaves as JSON text `{"l":[logs],"v":value}` or
 * `{"l":[logs],"e":"reason"}`. `op` 0 runs the function; if it returned a promise the answer is
 * the string PENDING and op 1 (called after the isolate drained its microtasks) collects it;
 * op 2 returns just the logs (after a timeout).
 */

export const FUNCTION_FILENAME = 'function.js';
export const PENDING = '\u0000pending';

export interface PreludeLimits {
  maxLogLines: number;
  maxLogLineLength: number;
  maxOutputChars: number;
}

export function preludeSource(limits: PreludeLimits): string {
  return `(function () {
  'use strict';
  const MAX_LINES = ${limits.maxLogLines};
  const MAX_LINE = ${limits.maxLogLineLength};
  const MAX_OUT = ${limits.maxOutputChars};
  const PENDING = ${JSON.stringify(PENDING)};
  const FILE_RE = /${FUNCTION_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)/;
  const g = globalThis;
  const O = Object;
  const freeze = O.freeze, getProto = O.getPrototypeOf, getDesc = O.getOwnPropertyDescriptor;
  const defineProperty = O.defineProperty;
  const ownKeys = Reflect.ownKeys, construct = Reflect.construct, rApply = Reflect.apply;
  const parse = JSON.parse, stringify = JSON.stringify;
  const StringOf = String, imul = Math.imul, ErrorCtor = Error, WeakSetCtor = WeakSet;
  const resolve = Promise.resolve.bind(Promise), then = Promise.prototype.then;
  const RealDate = Date;
  const exec = RegExp.prototype.exec;
  const slice = String.prototype.slice, split = String.prototype.split;
  const push = Array.prototype.push, join = Array.prototype.join, map = Array.prototype.map;
  const arraySlice = Array.prototype.slice;

  let nowMs = 0;
  let state = 0;
  let logs = [];
  let dropped = 0;

  // 1. The clock: the call's input.now, nothing else.
  const SandboxDate = function Date(...args) {
    if (new.target === undefined) return new RealDate(nowMs).toString();
    return construct(RealDate, args.length === 0 ? [nowMs] : args, new.target);
  };
  defineProperty(SandboxDate, 'length', { value: 7 });
  defineProperty(SandboxDate, 'prototype', { value: RealDate.prototype, writable: false });
  defineProperty(RealDate.prototype, 'constructor', { value: SandboxDate, writable: true, configurable: true });
  SandboxDate.now = function now() { return nowMs; };
  SandboxDate.parse = RealDate.parse;
  SandboxDate.UTC = RealDate.UTC;
  defineProperty(g, 'Date', { value: SandboxDate, writable: true, configurable: true });
  if (typeof Intl === 'object' && Intl.DateTimeFormat) {
    const dtf = Intl.DateTimeFormat.prototype;
    const formatGetter = getDesc(dtf, 'format').get;
    const formatToParts = dtf.formatToParts;
    defineProperty(dtf, 'format', {
      configurable: true,
      get() {
        const f = rApply(formatGetter, this, []);
        return (d) => f(d === undefined ? nowMs : d);
      },
    });
    defineProperty(dtf, 'formatToParts', {
      configurable: true,
      writable: true,
      value: function formatToParts(d) { return rApply(formatToParts, this, [d === undefined ? nowMs : d]); },
    });
  }

  // 2. Math.random: mulberry32, re-seeded at every call.
  let seed = 0;
  defineProperty(Math, 'random', {
    writable: true,
    configurable: true,
    value: function random() {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  });

  // 3. console: bounded lines, kept for the run record.
  const show = (v) => {
    try {
      if (typeof v === 'string') return v;
      if (typeof v === 'object' && v !== null) {
        const s = stringify(v);
        if (s !== undefined) return s;
      }
      return StringOf(v);
    } catch {
      return '[unprintable]';
    }
  };
  const logger = (prefix) => function (...args) {
    if (logs.length >= MAX_LINES) { dropped++; return; }
    let line = prefix + rApply(join, rApply(map, args, [show]), [' ']);
    if (line.length > MAX_LINE) line = rApply(slice, line, [0, MAX_LINE - 1]) + '\\u2026';
    rApply(push, logs, [line]);
  };
  const sandboxConsole = {
    log: logger(''), info: logger(''), debug: logger(''), warn: logger('warn: '), error: logger('error: '),
  };
  defineProperty(g, 'console', { value: sandboxConsole, writable: true, configurable: true });

  // 4. No WebAssembly.
  delete g.WebAssembly;

  // 5. Freeze the built-ins and the global object.
  const seen = new WeakSetCtor();
  const harden = (root) => {
    const stack = [root];
    while (stack.length > 0) {
      const o = stack.pop();
      if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
      seen.add(o);
      freeze(o);
      rApply(push, stack, [getProto(o)]);
      for (const k of ownKeys(o)) {
        const d = getDesc(o, k);
        if (d === undefined) continue;
        if ('value' in d) rApply(push, stack, [d.value]);
        else rApply(push, stack, [d.get, d.set]);
      }
    }
  };
  harden([
    getProto(function* () {}),
    getProto(async function () {}),
    getProto(async function* () {}),
    getProto([][Symbol.iterator]()),
    getProto(new Map()[Symbol.iterator]()),
    getProto(new Set()[Symbol.iterator]()),
    getProto(''[Symbol.iterator]()),
    getProto('a'.matchAll(/a/g)),
  ]);
  harden(g);

  // Reasons: one line, the thrown value's name and message, and where in the function it was.
  const reason = (e) => {
    try {
      if (e instanceof ErrorCtor) {
        let text = StringOf(e.name) + ': ' + StringOf(e.message);
        const at = rApply(exec, FILE_RE, [StringOf(e.stack)]);
        if (at !== null) text += ' (at ' + at[1] + ':' + at[2] + ')';
        return text;
      }
      return 'threw ' + show(e);
    } catch {
      return 'threw an unprintable value';
    }
  };
  const logsPart = () => {
    if (dropped > 0) {
      const kept = rApply(arraySlice, logs, [0, MAX_LINES - 1]);
      rApply(push, kept, ['(' + (dropped + logs.length - kept.length) + ' more lines not kept)']);
      return stringify(kept);
    }
    return stringify(logs);
  };
  const failed = (text) => {
    let line = rApply(join, rApply(split, StringOf(text), ['\\n']), [' ']);
    if (line.length > 500) line = rApply(slice, line, [0, 499]) + '\\u2026';
    return '{"l":' + logsPart() + ',"e":' + stringify(line) + '}';
  };
  const replacer = function (key, value) {
    const t = typeof value;
    if (t === 'function' || t === 'symbol' || t === 'bigint') {
      const where = key === '' ? 'it returned' : 'its answer holds';
      throw new TypeError(where + ' a ' + t + (key === '' ? '' : ' at key ' + stringify(key)) + ', which is not JSON');
    }
    return value;
  };
  const answered = (value) => {
    if (value === undefined)
      return failed('it returned undefined: return a JSON value (an object, an array, a string, a number, a boolean or null)');
    let text;
    try {
      text = stringify(value, replacer);
    } catch (e) {
      return failed(e instanceof TypeError && !/circular/i.test(e.message) ? e.message : 'its answer is not JSON: ' + reason(e));
    }
    if (text.length > MAX_OUT) return failed('its answer is ' + text.length + ' characters of JSON, more than the ' + MAX_OUT + ' allowed');
    return '{"l":' + logsPart() + ',"v":' + text + '}';
  };

  return function bind(fn, seedValue) {
    if (typeof fn !== 'function')
      throw new TypeError('the module must export a function as its default export (export default function (input) { ... })');
    seed = seedValue | 0;
    let settled;
    return function call(json, now, op) {
      if (op === 1) return settled === undefined ? failed('it returned a promise that never settled') : settled;
      if (op === 2) return '{"l":' + logsPart() + '}';
      nowMs = now;
      state = seed;
      logs = [];
      dropped = 0;
      settled = undefined;
      let value;
      try {
        value = fn(parse(json));
      } catch (e) {
        return failed(reason(e));
      }
      let isThenable = false;
      try {
        isThenable = value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
      } catch (e) {
        return failed(reason(e));
      }
      if (!isThenable) return answered(value);
      rApply(then, resolve(value), [
        (v) => { settled = answered(v); },
        (e) => { settled = failed(reason(e)); },
      ]);
      return PENDING;
    };
  };
})()`;
}
