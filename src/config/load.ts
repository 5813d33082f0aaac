/**
 * Load a config file: YAML → JSON-schema validation → ${env:NAME} resolution → semantic
 * checks (references, conditions, transforms, secrets) → the runtime AppConfig.
 * Every problem is reported with its JSON pointer and its line in the file.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './config-error.js';
import type { AppConfig, Tenant } from './model.js';
import { type ConfigFile, ConfigSchema } from './schema.js';
import { buildTenant, checkTenant } from './tenant.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true }));
const validateSchema = ajv.compile<ConfigFile>(ConfigSchema);

export type Path = (string | number)[];

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): AppConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ pointer: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locate = locator(doc, lines);
  const problem = (path: Path, message: string): ConfigProblem => ({
    pointer: pointer(path),
    message,
    ...locate(path),
  });

  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        // With prettyErrors off, yaml leaves linePos unset: derive it from the error's offset.
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { pointer: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (!validateSchema(raw)) {
    throw new ConfigError(
      source,
      simplifyUnionErrors(validateSchema.errors ?? []).map((e) => schemaProblem(e, problem)),
    );
  }
  const resolved = resolveEnv(raw, [], env);
  if (resolved.problems.length)
    throw new ConfigError(
      source,
      resolved.problems.map(([p, m]) => problem(p, m)),
    );
  const config = resolved.value as ConfigFile;

  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.tenants.forEach((t, i) => {
    if (seen.has(t.id)) problems.push(problem(['tenants', i, 'id'], `duplicate tenant id "${t.id}"`));
    seen.add(t.id);
    for (const [p, m] of checkTenant(t)) problems.push(problem(['tenants', i, ...p], m));
  });
  if (problems.length) throw new ConfigError(source, problems);

  const tenants = new Map<string, Tenant>();
  for (const t of config.tenants) tenants.set(t.id, buildTenant(t));
  return { source, tenants };
}

/** Where a path into a YAML document is written (the nearest node that has a position). */
export function locator(doc: Document, lines: LineCounter): (path: Path) => Pick<ConfigProblem, 'line' | 'column'> {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return {};
  };
}

export function pointer(path: Path): string {
  return path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function schemaProblem(e: ErrorObject, problem: (path: Path, message: string) => ConfigProblem): ConfigProblem {
  const path: Path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replaceAll('~1', '/').replaceAll('~0', '~')));
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return problem([...path, extra], `unknown key "${extra}"`);
  }
  if (e.keyword === 'required') {
    return problem(path, `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`);
  }
  if (e.keyword === 'enum') {
    return problem(path, `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
  }
  if (e.keyword === 'const')
    return problem(path, `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`);
  if (e.keyword === 'anyOf') {
    const description = (e.parentSchema as { description?: string } | undefined)?.description;
    return problem(path, description ? `must be ${description}` : 'matches none of the allowed forms');
  }
  return problem(path, e.message ?? 'invalid');
}

/**
 * A value that fails a union (anyOf) makes ajv report every branch's complaint. Keep what
 * helps: when the value got past a branch's type check and failed deeper (a bad expiresAt
 * inside the object form), those deeper errors; otherwise the one anyOf error.
 */
export function simplifyUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const kept = errors.filter((e) => e.keyword === 'anyOf' || !unionPaths.has(e.instancePath));
  return kept.filter(
    (e) => e.keyword !== 'anyOf' || !kept.some((o) => o.instancePath.startsWith(`${e.instancePath}/`)),
  );
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replace ${env:NAME} in every string; a missing variable is a problem at that path. */
function resolveEnv(
  value: unknown,
  path: Path,
  env: NodeJS.ProcessEnv,
): { value: unknown; problems: [Path, string][] } {
  if (typeof value === 'string') {
    const problems: [Path, string][] = [];
    const out = value.replace(ENV_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') problems.push([path, `environment variable ${name} is not set`]);
      return v ?? '';
    });
    return { value: out, problems };
  }
  if (Array.isArray(value)) {
    const results = value.map((v, i) => resolveEnv(v, [...path, i], env));
    return { value: results.map((r) => r.value), problems: results.flatMap((r) => r.problems) };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const problems: [Path, string][] = [];
    for (const [k, v] of Object.entries(value)) {
      const r = resolveEnv(v, [...path, k], env);
      out[k] = r.value;
      problems.push(...r.problems);
    }
    return { value: out, problems };
  }
  return { value, problems: [] };
}
