/**
 * Summarise a V8 .cpuprofile (from BENCH_CPU_PROF): the top frames by self time, self time
 * grouped by module (a package under node_modules, a folder of src/, Node's internals, V8's
 * own entries such as the garbage collector), and inclusive time for frames from src/.
 * Diagnostic only: `tsx bench/cpu-profile-top.ts FILE [N]`.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/cpu-profile-top.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: Node) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, 'node:');
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
};

/** node_modules/<package> (scoped too), src/<folder>, node:<module>, or V8's own entries. */
const moduleOf = (n: Node) => {
  const { functionName, url } = n.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  const own = /\/(src|bench|test)\/(?:([^/]+)\/)?/.exec(url);
  if (own) return own[2] && !own[2].includes('.') ? `${own[1]}/${own[2]}` : `${own[1]}/`;
  if (url.startsWith('node:'))
    return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/')[1] : url.slice(5)}`;
  return url;
};

const self = new Map<string, number>();
const byModule = new Map<string, number>();
/** Each sample charged to the nearest frame of our own code up the stack (library and native time included). */
const byOwnFile = new Map<string, number>();
const ownFile = (n: Node) => /\/(src\/.*)$/.exec(n.callFrame.url)?.[1];
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const node = byId.get(id);
  if (!node) return;
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  byModule.set(moduleOf(node), (byModule.get(moduleOf(node)) ?? 0) + dt);
  let owner: string | undefined;
  for (let cur: number | undefined = id; cur !== undefined && !owner; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    owner = ownFile(n);
  }
  owner ??= moduleOf(node).startsWith('(') ? moduleOf(node) : `(no src/ frame) ${moduleOf(node)}`;
  byOwnFile.set(owner, (byOwnFile.get(owner) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
  }
});

const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const print = (title: string, rows: [string, number][]) => {
  process.stdout.write(`\n${title}\n`);
  for (const [l, us] of rows.slice(0, top))
    process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${l}\n`);
};
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`);
print(
  'self time',
  [...self].sort((a, b) => b[1] - a[1]),
);
print(
  'self time by module',
  [...byModule].sort((a, b) => b[1] - a[1]),
);
print(
  'charged to the nearest src/ file up the stack (its library and native calls included)',
  [...byOwnFile].sort((a, b) => b[1] - a[1]),
);
print(
  'inclusive, src/ frames',
  [...inclusive].filter(([l]) => l.includes(' src/')).sort((a, b) => b[1] - a[1]),
);
