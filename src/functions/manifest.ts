/**
 * A function upload (manifest) checked and normalised into what is stored: one list of
 * problems, each with a JSON pointer into the manifest, or the version-to-be with its content
 * hash. Pure except for the sandbox's own parser; the API and the CLI share it.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { type Static, Type } from 'typebox';
import { canonicalJson } from '../core/canonical-json.js';
import { FUNCTION_MEMBER_FIELDS, FUNCTION_TASK_FIELDS, KIND_INPUT, PAYLOAD_PATH } from './allow-list.js';
import { checkOutputSchema } from './output-schema.js';
import { checkRemoteSpec } from './remote-spec.js';
import { checkSource, stripTypes } from './sandbox/index.js';
import {
  DEFAULT_REMOTE,
  DEFAULT_SANDBOX_LIMITS,
  FUNCTION_KINDS,
  FUNCTION_RUNTIMES,
  type FunctionVersion,
} from './types.js';

export const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Bytes of UTF-8 source, before any type stripping. */
export const MAX_SOURCE_BYTES = 64 * 1024;
export const SANDBOX_LIMITS = {
  timeoutMs: { min: 1, max: 1000 },
  memoryMb: { min: 8, max: 128 },
} as const;

const FieldsSchema = Type.Object(
  {
    task: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2200 }), {
        maxItems: 50,
        description:
          'Task fields it may read (decide, score, match), or `payload` / `payload.<path>` (transform). Default: none.',
      }),
    ),
    member: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: FUNCTION_MEMBER_FIELDS.length,
        description: `Candidate fields it may read (decide, score): ${FUNCTION_MEMBER_FIELDS.join(', ')}. \`id\` is always passed.`,
      }),
    ),
  },
  { additionalProperties: false },
);

const LimitsSchema = Type.Object(
  {
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: SANDBOX_LIMITS.timeoutMs.min,
        maximum: SANDBOX_LIMITS.timeoutMs.max,
        description: `Wall-clock budget per call (default ${DEFAULT_SANDBOX_LIMITS.timeoutMs})`,
      }),
    ),
    memoryMb: Type.Optional(
      Type.Integer({
        minimum: SANDBOX_LIMITS.memoryMb.min,
        maximum: SANDBOX_LIMITS.memoryMb.max,
        description: `Heap limit (default ${DEFAULT_SANDBOX_LIMITS.memoryMb})`,
      }),
    ),
  },
  { additionalProperties: false },
);

const RemoteSchema = Type.Object(
  {
    url: Type.String({ description: 'http(s) URL the signed input is POSTed to' }),
    timeoutMs: Type.Optional(Type.Integer({ description: `Per attempt (default ${DEFAULT_REMOTE.timeoutMs})` })),
    retries: Type.Optional(
      Type.Integer({ description: `Extra attempts after a transient failure (default ${DEFAULT_REMOTE.retries})` }),
    ),
  },
  { additionalProperties: false },
);

/** A version upload as the API takes it: the manifest without its name (the name is in the URL). */
export const FunctionUploadSchema = Type.Object(
  {
    kind: Type.Enum([...FUNCTION_KINDS], { description: 'decide, score, transform or match' }),
    runtime: Type.Enum([...FUNCTION_RUNTIMES], { description: 'javascript, typescript or remote' }),
    source: Type.Optional(
      Type.String({ description: `javascript/typescript: the module source, at most ${MAX_SOURCE_BYTES} bytes` }),
    ),
    remote: Type.Optional(RemoteSchema),
    fields: Type.Optional(FieldsSchema),
    outputSchema: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'JSON Schema (draft-07) the answer must satisfy; required for remote functions',
        },
      ),
    ),
    limits: Type.Optional(LimitsSchema),
    message: Type.Optional(Type.String({ maxLength: 1000, description: 'Why this version (like a commit message)' })),
  },
  { additionalProperties: false },
);
export type FunctionUpload = Static<typeof FunctionUploadSchema>;

export interface ManifestProblem {
  /** JSON pointer into the manifest (`/name` for the name). */
  path: string;
  message: string;
  /** For a syntax error in the source, 1-based. */
  line?: number;
  column?: number;
}

/** The manifest cannot be stored: 413 (source too large) or 422 (everything else). */
export class FunctionManifestError extends Error {
  constructor(
    readonly status: 413 | 422,
    readonly problems: ManifestProblem[],
  ) {
    super(
      `invalid function manifest: ${problems
        .slice(0, 3)
        .map((p) => `${p.path || '/'} ${p.message}`)
        .join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
    );
    this.name = 'FunctionManifestError';
  }
}

/** A checked manifest: the version to store, less what the store assigns and who uploads it. */
export type CheckedManifest = Omit<FunctionVersion, 'tenantId' | 'version' | 'createdAt' | 'author'>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateUpload = ajv.compile<FunctionUpload>(FunctionUploadSchema);

/** Check a name and an upload; throws FunctionManifestError with every problem found. */
export function checkManifest(name: unknown, upload: unknown): CheckedManifest {
  const problems: ManifestProblem[] = [];
  if (typeof name !== 'string') problems.push({ path: '/name', message: 'is required' });
  else if (!FUNCTION_NAME.test(name))
    problems.push({
      path: '/name',
      message: `${JSON.stringify(name.slice(0, 100))} is not a function name: lowercase letters, digits and -, starting with a letter, at most 63 characters`,
    });
  const source = (upload as { source?: unknown } | null)?.source;
  if (typeof source === 'string' && Buffer.byteLength(source, 'utf8') > MAX_SOURCE_BYTES)
    throw new FunctionManifestError(413, [
      {
        path: '/source',
        message: `is ${Buffer.byteLength(source, 'utf8')} bytes; the limit is ${MAX_SOURCE_BYTES} bytes`,
      },
    ]);
  if (!validateUpload(upload)) {
    problems.push(...(validateUpload.errors ?? []).map(schemaProblem));
    throw new FunctionManifestError(422, problems);
  }
  const m = upload;
  const sandboxed = m.runtime !== 'remote';

  const fields = checkFields(m, problems);
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...m.limits };
  if (!sandboxed && m.limits !== undefined)
    problems.push({
      path: '/limits',
      message:
        'applies to sandboxed functions only; a remote function is bounded by remote.timeoutMs and remote.retries',
    });

  let code: string | undefined;
  if (sandboxed) {
    if (m.remote !== undefined) problems.push({ path: '/remote', message: `is for runtime remote, not ${m.runtime}` });
    if (source === undefined || (typeof source === 'string' && source.trim() === ''))
      problems.push({ path: '/source', message: `is required for runtime ${m.runtime}` });
    else code = checkCode(m.runtime, source as string, problems);
  } else {
    if (source !== undefined)
      problems.push({ path: '/source', message: 'a remote function has no source: it runs at remote.url' });
    if (m.remote === undefined) problems.push({ path: '/remote', message: 'is required for runtime remote' });
    if (m.outputSchema === undefined)
      problems.push({
        path: '/outputSchema',
        message: 'is required for runtime remote: the answer of code Switchyard does not run must be described',
      });
  }

  const remote = m.remote && { ...DEFAULT_REMOTE, ...m.remote };
  if (remote && !sandboxed)
    for (const p of checkRemoteSpec(remote)) problems.push({ path: remotePointer(p), message: p });
  if (m.outputSchema !== undefined)
    for (const p of checkOutputSchema(m.outputSchema)) problems.push({ path: '/outputSchema', message: p });

  if (problems.length) throw new FunctionManifestError(422, problems);

  const content = {
    kind: m.kind,
    runtime: m.runtime,
    code,
    remote: sandboxed ? undefined : remote,
    fields,
    outputSchema: m.outputSchema,
    limits,
  };
  return {
    name: name as string,
    kind: m.kind,
    runtime: m.runtime,
    ...(sandboxed ? { source: source as string, code: code as string } : { remote }),
    fields,
    ...(m.outputSchema !== undefined ? { outputSchema: m.outputSchema as Record<string, unknown> } : {}),
    limits,
    contentHash: contentHashOf(content),
    ...(m.message !== undefined && m.message !== '' ? { message: m.message } : {}),
  };
}

/** sha256 (hex) of the canonical JSON of kind, runtime, code, remote, fields, outputSchema and limits. */
export function contentHashOf(content: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Deduplicated and sorted, so the same declaration always hashes the same. */
function checkFields(m: FunctionUpload, problems: ManifestProblem[]): FunctionVersion['fields'] {
  const shape = KIND_INPUT[m.kind];
  const task = [...new Set(m.fields?.task ?? [])].sort();
  const member = [...new Set(m.fields?.member ?? [])].sort();
  const taskFields: readonly string[] = FUNCTION_TASK_FIELDS;
  const memberFields: readonly string[] = FUNCTION_MEMBER_FIELDS;
  (m.fields?.task ?? []).forEach((f, i) => {
    const path = `/fields/task/${i}`;
    if (shape.payload) {
      if (!PAYLOAD_PATH.test(f))
        problems.push({
          path,
          message: `${JSON.stringify(f)}: a transform function reads the payload: declare "payload" or "payload.<path>"`,
        });
    } else if (!taskFields.includes(f))
      problems.push({
        path,
        message: `${JSON.stringify(f)} is not a Task field (one of: ${FUNCTION_TASK_FIELDS.join(', ')})`,
      });
  });
  (m.fields?.member ?? []).forEach((f, i) => {
    const path = `/fields/member/${i}`;
    if (!shape.candidates)
      problems.push({ path, message: `a ${m.kind} function receives no candidates, so no member fields` });
    else if (!memberFields.includes(f))
      problems.push({
        path,
        message: `${JSON.stringify(f)} is not a member field (one of: ${FUNCTION_MEMBER_FIELDS.join(', ')})`,
      });
  });
  return { task, member };
}

/** TypeScript stripped to JavaScript, then parsed: what the sandbox will run, or problems at /source. */
function checkCode(runtime: string, source: string, problems: ManifestProblem[]): string | undefined {
  let code = source;
  if (runtime === 'typescript') {
    try {
      code = stripTypes(source);
    } catch (e) {
      problems.push(syntaxProblem(e));
      return undefined;
    }
  }
  const checked = checkSource(code);
  if (checked.ok) return code;
  problems.push({
    path: '/source',
    message: checked.error,
    ...(checked.line !== undefined ? { line: checked.line } : {}),
    ...(checked.column !== undefined ? { column: checked.column } : {}),
  });
  return undefined;
}

function syntaxProblem(e: unknown): ManifestProblem {
  const err = e as { message?: string; line?: number; column?: number };
  return {
    path: '/source',
    message: err.message ?? String(e),
    ...(typeof err.line === 'number' ? { line: err.line } : {}),
    ...(typeof err.column === 'number' ? { column: err.column } : {}),
  };
}

/** `remote.url must …` → `/remote/url`. */
function remotePointer(problem: string): string {
  const m = /^remote\.(\w+)/.exec(problem);
  return m ? `/remote/${m[1]}` : '/remote';
}

function schemaProblem(e: ErrorObject): ManifestProblem {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties')
    return { path: `${e.instancePath}/${String(params.additionalProperty)}`, message: 'is not a known key' };
  if (e.keyword === 'required')
    return { path: `${e.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
  if (e.keyword === 'enum')
    return { path: e.instancePath, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
  return { path: e.instancePath, message: e.message ?? 'is invalid' };
}
