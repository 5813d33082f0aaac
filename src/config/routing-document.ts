/**
 * A routing document on its own — `{ policy, members, teams }`, what a policy version holds —
 * checked exactly like that part of a tenant in the config file: the same JSON schema (with
 * its defaults filled in, so equal content hashes to the same version) and the same semantic
 * checks. Used for versions that arrive through the API or the CLI. `${env:NAME}` references
 * are NOT resolved here: a document from the API must not read the server's environment.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type Static, Type } from 'typebox';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from './config-error.js';
import { locator, type Path, pointer, schemaProblem, simplifyUnionErrors } from './load.js';
import { MemberSchema, PolicySchema, TeamSchema } from './schema.js';
import { checkRouting, type RoutingDocument } from './tenant.js';

export const RoutingDocumentSchema = Type.Object(
  {
    policy: PolicySchema,
    members: Type.Array(MemberSchema),
    teams: Type.Optional(Type.Array(TeamSchema)),
  },
  { additionalProperties: false },
);
type RoutingDocumentFile = Static<typeof RoutingDocumentSchema>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// The same options as the config loader's: defaults are part of the content that is hashed.
const ajv = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true }));
const validateSchema = ajv.compile<RoutingDocumentFile>(RoutingDocumentSchema);

export type RoutingDocumentResult = { ok: true; document: RoutingDocument } | { ok: false; problems: ConfigProblem[] };

/** Validate a routing document given as a value (e.g. JSON); the input is not modified. */
export function checkRoutingDocument(input: unknown): RoutingDocumentResult {
  return check(structuredClone(input), () => ({}));
}

/** Parse and validate a routing document written in YAML; problems carry their line and column. */
export function parseRoutingYaml(text: string): RoutingDocumentResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { pointer: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
      }),
    };
  }
  const locate = locator(doc, lines);
  return check(doc.toJS(), locate);
}

function check(raw: unknown, locate: (path: Path) => Pick<ConfigProblem, 'line' | 'column'>): RoutingDocumentResult {
  const problem = (path: Path, message: string): ConfigProblem => ({
    pointer: pointer(path),
    message,
    ...locate(path),
  });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [problem([], 'must be an object with policy, members and (optionally) teams')] };
  }
  if (!validateSchema(raw)) {
    return {
      ok: false,
      problems: simplifyUnionErrors(validateSchema.errors ?? []).map((e) => schemaProblem(e, problem)),
    };
  }
  const document: RoutingDocument = { policy: raw.policy, members: raw.members, teams: raw.teams ?? [] };
  const problems = checkRouting(document).map(([p, m]) => problem(p, m));
  return problems.length ? { ok: false, problems } : { ok: true, document };
}
