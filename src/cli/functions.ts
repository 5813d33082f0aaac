/**
 * switchyard functions push | list | versions | diff | test: custom function versions, on the
 * store directly (`--db`), authored `cli:<os user>`.
 */

import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { RoutingDocument } from '../config/tenant.js';
import { SecretKeyError } from '../crypto/secret-box.js';
import { diffVersions } from '../functions/diff.js';
import { createFunctionHost, type TryResult } from '../functions/function-host.js';
import { FunctionManifestError } from '../functions/manifest.js';
import { FunctionRegistry } from '../functions/registry.js';
import { checkSample, testFunction } from '../functions/test-run.js';
import type { FunctionVersion } from '../functions/types.js';
import { functionVersionView } from '../functions/view.js';
import { findPolicyVersion } from '../policy/versions.js';
import type { FunctionVersionSummary } from '../store/function-store.js';
import { EXIT, fail, usage } from './exit.js';
import { cliActor, withExistingStore, withStore } from './store-session.js';

interface Target {
  db: string;
  tenant: string;
}

export interface PushOptions extends Target {
  name?: string;
  kind?: string;
  manifest?: string;
  fieldsTask?: string;
  fieldsMember?: string;
  timeoutMs?: string;
  memoryMb?: string;
  message?: string;
  json?: boolean;
}

const RUNTIME_BY_EXTENSION: Record<string, string> = {
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
};

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

const list = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

function integer(flag: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s.trim())) usage(`${flag}: "${s}" is not a whole number`);
  return Number(s);
}

/** The manifest from --manifest (YAML), the source file and the flags; flags win. */
export function buildManifest(file: string | undefined, o: PushOptions): Record<string, unknown> {
  let manifest: Record<string, unknown> = {};
  if (o.manifest) {
    const text = readText(o.manifest, 'manifest');
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      usage(`${o.manifest} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      usage(`${o.manifest} must be a YAML mapping (name, kind, runtime, source or remote, fields, …)`);
    manifest = { ...(parsed as Record<string, unknown>) };
    // `sourceFile` is the CLI's convenience: a path relative to the manifest, read into `source`.
    if (typeof manifest.sourceFile === 'string' && file === undefined)
      file = resolve(dirname(o.manifest), manifest.sourceFile);
    delete manifest.sourceFile;
  }
  if (file !== undefined) {
    const runtime = RUNTIME_BY_EXTENSION[extname(file).toLowerCase()];
    if (!runtime && manifest.runtime === undefined)
      usage(`${file}: cannot tell the runtime from the extension (use .js, .mjs, .ts or .mts)`);
    manifest.source = readText(file, 'source');
    if (manifest.runtime === undefined) manifest.runtime = runtime;
  }
  if (o.name !== undefined) manifest.name = o.name;
  if (o.kind !== undefined) manifest.kind = o.kind;
  if (o.message !== undefined) manifest.message = o.message;
  const task = list(o.fieldsTask);
  const member = list(o.fieldsMember);
  if (task || member) {
    const fields = { ...((manifest.fields as Record<string, unknown> | undefined) ?? {}) };
    if (task) fields.task = task;
    if (member) fields.member = member;
    manifest.fields = fields;
  }
  const timeoutMs = integer('--timeout-ms', o.timeoutMs);
  const memoryMb = integer('--memory-mb', o.memoryMb);
  if (timeoutMs !== undefined || memoryMb !== undefined) {
    manifest.limits = {
      ...((manifest.limits as Record<string, unknown> | undefined) ?? {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(memoryMb !== undefined ? { memoryMb } : {}),
    };
  }
  if (manifest.name === undefined) usage('give the function a name: --name NAME (or name: in --manifest)');
  if (manifest.source === undefined && manifest.runtime !== 'remote' && manifest.remote === undefined)
    usage('give the source file (switchyard functions push FILE …) or a --manifest with a remote url');
  if (manifest.runtime === undefined && manifest.remote !== undefined) manifest.runtime = 'remote';
  return manifest;
}

export async function functionsPush(file: string | undefined, o: PushOptions): Promise<void> {
  const manifest = buildManifest(file, o);
  await withStore(o.db, async (store) => {
    let r: Awaited<ReturnType<FunctionRegistry['upload']>>;
    try {
      r = await new FunctionRegistry(store).upload(o.tenant, manifest, cliActor());
    } catch (e) {
      if (e instanceof FunctionManifestError) {
        process.stderr.write(`switchyard: function ${String(manifest.name)} cannot be stored:\n`);
        for (const p of e.problems) {
          const at = p.line !== undefined ? ` (line ${p.line}${p.column !== undefined ? `:${p.column}` : ''})` : '';
          process.stderr.write(`  ${p.path || '/'}: ${p.message}${at}\n`);
        }
        process.exitCode = EXIT.failed;
        return;
      }
      if (e instanceof SecretKeyError) fail(e.message);
      throw e;
    }
    const fn = r.version;
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ ...functionVersionView(fn), created: r.created, ...(r.secret ? { secret: r.secret } : {}) }, null, 2)}\n`,
      );
      return;
    }
    process.stderr.write(
      r.created
        ? `Created ${o.tenant}/${fn.name}@${fn.version} (${fn.kind}, ${fn.runtime}, sha256 ${fn.contentHash.slice(0, 12)}).\n`
        : `Unchanged: ${o.tenant}/${fn.name}@${fn.version} already has this content (sha256 ${fn.contentHash.slice(0, 12)}).\n`,
    );
    if (r.secret) {
      process.stderr.write('Its signing secret is shown once; give it to the remote function now:\n');
      process.stdout.write(`${r.secret}\n`);
    } else process.stdout.write(`${fn.name}@${fn.version}\n`);
  });
}

function line(f: FunctionVersionSummary, withName: boolean): string {
  const head = withName ? `${f.name.padEnd(24)} v${String(f.version).padEnd(4)}` : `v${String(f.version).padEnd(4)}`;
  const msg = f.message ? `  ${f.message.split('\n')[0]}` : '';
  return `${head} ${f.kind.padEnd(9)} ${f.runtime.padEnd(10)} ${f.createdAt}  ${f.author}${msg}\n`;
}

async function allPages(
  read: (after: string | undefined) => Promise<{ items: FunctionVersionSummary[]; next: string | null }>,
): Promise<FunctionVersionSummary[]> {
  const out: FunctionVersionSummary[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await read(after);
    out.push(...page.items);
    if (page.next === null) return out;
    after = page.next;
  }
}

export async function functionsList(o: Target & { json?: boolean }): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const items = await allPages((after) =>
      store.listFunctions(o.tenant, { limit: 200, ...(after !== undefined ? { after } : {}) }),
    );
    if (o.json) process.stdout.write(`${JSON.stringify(items.map(functionVersionView), null, 2)}\n`);
    else if (items.length === 0) process.stdout.write(`No functions for tenant ${o.tenant} yet.\n`);
    else for (const f of items) process.stdout.write(line(f, true));
  });
}

export async function functionsVersions(name: string, o: Target & { json?: boolean }): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const items = await allPages((after) =>
      store.listFunctionVersions(o.tenant, name, { limit: 200, ...(after !== undefined ? { after } : {}) }),
    );
    if (items.length === 0) fail(`no function ${name} for tenant ${o.tenant}`);
    if (o.json) process.stdout.write(`${JSON.stringify(items.map(functionVersionView), null, 2)}\n`);
    else for (const f of items) process.stdout.write(line(f, false));
  });
}

function versionArg(what: string, s: string): number {
  if (!/^[1-9]\d*$/.test(s)) usage(`${what}: "${s}" is not a version number (1, 2, 3…)`);
  return Number(s);
}

async function getOrFail(registry: FunctionRegistry, tenant: string, name: string, version: number) {
  const fn = await registry.get(tenant, { name, version });
  if (!fn) fail(`no function ${name}@${version} for tenant ${tenant}`);
  return fn;
}

export async function functionsDiff(name: string, a: string, b: string, o: Target): Promise<void> {
  await withExistingStore(o.db, async (store) => {
    const registry = new FunctionRegistry(store);
    const from = await getOrFail(registry, o.tenant, name, versionArg('version a', a));
    const to = await getOrFail(registry, o.tenant, name, versionArg('version b', b));
    process.stdout.write(renderDiff(from, to, process.stdout.isTTY === true));
  });
}

/** Manifest changes first, then the source diff; coloured on a terminal. */
export function renderDiff(from: FunctionVersion, to: FunctionVersion, colour: boolean): string {
  const { source, changes } = diffVersions(from, to);
  const paint = (code: number, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const show = (v: unknown) => (v === undefined ? '(not set)' : JSON.stringify(v));
  let out = `${from.name}@${from.version} → ${to.name}@${to.version}`;
  out += from.contentHash === to.contentHash ? ' (same content)\n' : '\n';
  for (const c of changes) out += `${c.path}: ${paint(31, show(c.from))} → ${paint(32, show(c.to))}\n`;
  if (source === '') return `${out}${changes.length === 0 ? '' : '\n'}source: unchanged\n`;
  out += '\n';
  for (const l of source.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('+++') || l.startsWith('---')) out += `${paint(1, l)}\n`;
    else if (l.startsWith('@@')) out += `${paint(36, l)}\n`;
    else if (l.startsWith('+')) out += `${paint(32, l)}\n`;
    else if (l.startsWith('-')) out += `${paint(31, l)}\n`;
    else out += `${l}\n`;
  }
  return out;
}

export async function functionsTest(name: string, v: string, o: Target & { input: string }): Promise<void> {
  const version = versionArg('version', v);
  const text = readText(o.input, 'input');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    usage(`${o.input} is not JSON: ${(e as Error).message}`);
  }
  // The API's body ({ input: … }) or the sample itself.
  const checked = checkSample(
    raw !== null && typeof raw === 'object' && 'input' in raw ? (raw as { input: unknown }).input : raw,
  );
  if (!checked.ok)
    usage(`${o.input} is not a sample { task, candidates, payload, now }: ${checked.problems.join('; ')}`);
  await withExistingStore(o.db, async (store) => {
    const registry = new FunctionRegistry(store);
    const fn = await getOrFail(registry, o.tenant, name, version);
    // The members decisions see: the tenant's active policy version's (as the running server's API has them).
    const active = await findPolicyVersion(store, o.tenant, 'active');
    const memberIds = ((active?.document as RoutingDocument | undefined)?.members ?? []).map((m) => m.id);
    const host = createFunctionHost(registry);
    let result: TryResult;
    try {
      result = await testFunction(host, fn, checked.sample, { now: new Date(), memberIds });
    } finally {
      await host.close();
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (result.outcome !== 'ok') process.exitCode = EXIT.failed;
  });
}
