/**
 * Upload-time checks on a function's source: TypeScript stripped to JavaScript (esbuild), and the
 * JavaScript parsed by the same V8 that will run it (a small checker isolate, never the host's
 * own context), so a syntax error is reported with its line and column before a version is stored.
 */
import { type BuildFailure, buildSync, type TransformFailure, transformSync } from 'esbuild';
import ivm from 'isolated-vm';
import { FUNCTION_FILENAME } from './prelude.js';

/** A syntax problem in the uploaded source; `line` and `column` are 1-based. */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line !== undefined ? `${message} (line ${line}:${column ?? 1})` : message);
    this.name = 'SourceError';
  }
}

export type SourceCheck = { ok: true } | { ok: false; error: string; line?: number; column?: number };

/**
 * TypeScript → JavaScript (types removed, ES module kept; syntax newer than ES2022 lowered).
 * Throws a SourceError with the line and column of the first problem.
 */
export function stripTypes(tsSource: string): string {
  try {
    return transformSync(tsSource, {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      sourcefile: 'function.ts',
      logLevel: 'silent',
    }).code;
  } catch (e) {
    const first = (e as Partial<TransformFailure>).errors?.[0];
    if (first) {
      const loc = first.location;
      throw new SourceError(first.text, loc?.line, loc ? loc.column + 1 : undefined);
    }
    throw new SourceError((e as Error).message);
  }
}

let checker: ivm.Isolate | undefined;

function checkerIsolate(): ivm.Isolate {
  if (!checker || checker.isDisposed) checker = new ivm.Isolate({ memoryLimit: 32 });
  return checker;
}

/** `Unexpected token ';' [function.js:2:13]` → message and position. */
function v8SyntaxError(e: unknown): { ok: false; error: string; line?: number; column?: number } {
  const raw = e instanceof Error ? e.message : String(e);
  const m = /^(.*) \[[^\]]*:(\d+):(\d+)\]$/s.exec(raw);
  if (!m) return { ok: false, error: raw };
  const line = Number(m[2]);
  const column = Number(m[3]);
  return { ok: false, error: `${m[1]} (line ${line}:${column})`, line, column };
}

/** The names a module exports, from esbuild's metafile (without running any of it). */
function exportsOf(code: string): string[] {
  const out = buildSync({
    stdin: { contents: code, loader: 'js', sourcefile: FUNCTION_FILENAME },
    write: false,
    metafile: true,
    bundle: false,
    format: 'esm',
    outfile: 'function.out.js',
    logLevel: 'silent',
  });
  return Object.values(out.metafile.outputs)[0]?.exports ?? [];
}

/**
 * The JavaScript a version will run: it must parse as an ES module (V8's own parser, the one that
 * will run it), import nothing, and have a default export. Evaluates none of it: its top level runs
 * only in the sandbox.
 */
export function checkSource(code: string): SourceCheck {
  let module: ivm.Module;
  try {
    module = checkerIsolate().compileModuleSync(code, { filename: FUNCTION_FILENAME });
  } catch (e) {
    return v8SyntaxError(e);
  }
  let imports: string[];
  try {
    imports = module.dependencySpecifiers;
  } finally {
    module.release();
  }
  if (imports.length > 0)
    return {
      ok: false,
      error: `imports are not available to functions (it imports ${imports.map((s) => JSON.stringify(s)).join(', ')}): the module must be self-contained`,
    };
  let names: string[];
  try {
    names = exportsOf(code);
  } catch (e) {
    const first = (e as Partial<BuildFailure>).errors?.[0];
    const loc = first?.location;
    return loc
      ? {
          ok: false,
          error: `${first.text} (line ${loc.line}:${loc.column + 1})`,
          line: loc.line,
          column: loc.column + 1,
        }
      : { ok: false, error: first?.text ?? (e as Error).message };
  }
  if (!names.includes('default'))
    return { ok: false, error: 'the module has no default export: export default function (input) { … }' };
  return { ok: true };
}
