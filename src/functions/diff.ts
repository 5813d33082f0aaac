/**
 * What changed between two versions of a function: a unified line diff of the source (jsdiff)
 * and the manifest fields that differ (kind, runtime, fields, limits, remote, outputSchema).
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { canonicalJson } from '../core/canonical-json.js';
import type { FunctionVersion } from './types.js';

export interface ManifestChange {
  /** JSON pointer into the manifest, e.g. `/fields/task` or `/limits/timeoutMs`. */
  path: string;
  /** Absent: the field is not set in that version. */
  from?: unknown;
  to?: unknown;
}

export interface VersionDiff {
  /** Unified diff (`--- name@a`, `+++ name@b`, hunks with 3 lines of context); '' when the sources are equal. */
  source: string;
  changes: ManifestChange[];
}

/** Compared one by one; lists and the output schema as whole values. */
const COMPARED: readonly [string, (f: FunctionVersion) => unknown][] = [
  ['/kind', (f) => f.kind],
  ['/runtime', (f) => f.runtime],
  ['/fields/task', (f) => f.fields.task],
  ['/fields/member', (f) => f.fields.member],
  ['/limits/timeoutMs', (f) => (f.runtime === 'remote' ? undefined : f.limits.timeoutMs)],
  ['/limits/memoryMb', (f) => (f.runtime === 'remote' ? undefined : f.limits.memoryMb)],
  ['/remote/url', (f) => f.remote?.url],
  ['/remote/timeoutMs', (f) => f.remote?.timeoutMs],
  ['/remote/retries', (f) => f.remote?.retries],
  ['/outputSchema', (f) => f.outputSchema],
];

export function diffVersions(a: FunctionVersion, b: FunctionVersion): VersionDiff {
  const from = withEol(a.source ?? '');
  const to = withEol(b.source ?? '');
  const source =
    from === to
      ? ''
      : createTwoFilesPatch(`${a.name}@${a.version}`, `${b.name}@${b.version}`, from, to, undefined, undefined, {
          context: 3,
          headerOptions: FILE_HEADERS_ONLY,
        });
  const changes: ManifestChange[] = [];
  for (const [path, read] of COMPARED) {
    const x = read(a);
    const y = read(b);
    if (canonicalJson(x ?? null) === canonicalJson(y ?? null)) continue;
    changes.push({ path, ...(x !== undefined ? { from: x } : {}), ...(y !== undefined ? { to: y } : {}) });
  }
  return { source, changes };
}

/** A last line without a newline would show as changed (`\ No newline at end of file`) on every edit below it. */
const withEol = (s: string) => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
