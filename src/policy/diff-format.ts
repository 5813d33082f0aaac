/**
 * A policy diff for a terminal or a CI log: `+` added, `-` removed, `~` changed or moved, route
 * names in quotes, positions 1-based (`#2`), values `old → new`. No colour codes, so the text
 * reads the same in a pipe, a file or a pull-request comment.
 */
import { type Condition, describeCondition } from '../core/index.js';
import type { FieldChange, PolicyDiff } from './diff.js';

export function formatDiff(d: PolicyDiff): string {
  const out: string[] = [`policy ${d.from} → ${d.to}`];
  if (d.identical) {
    out.push(
      d.from === d.to
        ? '  no changes'
        : '  no changes to routes, members or teams (only their order in the document differs)',
    );
    return `${out.join('\n')}\n`;
  }
  if (d.fallbackQueue) out.push(`~ fallbackQueue: ${d.fallbackQueue.from} → ${d.fallbackQueue.to}`);

  const r = d.routes;
  if (r.added.length + r.removed.length + r.reordered.length + r.changed.length > 0) {
    out.push('routes');
    for (const a of r.added) out.push(`  + "${a.name}" at #${a.index + 1}: ${routeSummary(a.route)}`);
    for (const x of r.removed) out.push(`  - "${x.name}" (was #${x.index + 1}): ${routeSummary(x.route)}`);
    for (const m of r.reordered) out.push(`  ~ "${m.name}" moved #${m.from + 1} → #${m.to + 1}`);
    for (const c of r.changed) {
      out.push(`  ~ "${c.name}" (#${c.index + 1})`);
      for (const f of c.changes) out.push(`      ${fieldLine(f)}`);
    }
  }
  entities(out, 'members', d.members, (m) => memberSummary(m as Record<string, unknown>));
  entities(out, 'teams', d.teams, (t) => teamSummary(t as Record<string, unknown>));
  return `${out.join('\n')}\n`;
}

function entities<T extends { id: string }>(
  out: string[],
  title: string,
  d: { added: T[]; removed: T[]; changed: { id: string; changes: FieldChange[] }[] },
  summary: (x: T) => string,
): void {
  if (d.added.length + d.removed.length + d.changed.length === 0) return;
  out.push(title);
  for (const a of d.added) out.push(`  + ${a.id}${withSummary(summary(a))}`);
  for (const x of d.removed) out.push(`  - ${x.id}`);
  for (const c of d.changed) {
    if (c.changes.length === 1) {
      out.push(`  ~ ${c.id}: ${fieldLine(c.changes[0] as FieldChange)}`);
      continue;
    }
    out.push(`  ~ ${c.id}`);
    for (const f of c.changes) out.push(`      ${fieldLine(f)}`);
  }
}

const withSummary = (s: string) => (s ? `: ${s}` : '');

export function fieldLine(f: FieldChange): string {
  const show = (v: unknown) => (f.field === 'when' ? describeWhen(v) : formatValue(v));
  return `${f.field}: ${show(f.from)} → ${show(f.to)}`;
}

function routeSummary(route: Record<string, unknown>): string {
  const parts = [`when ${describeWhen(route.when)}`, String(route.strategy)];
  if (Array.isArray(route.teams) && route.teams.length) parts.push(`teams ${formatValue(route.teams)}`);
  if (Array.isArray(route.members) && route.members.length) parts.push(`members ${formatValue(route.members)}`);
  if (route.assignee) parts.push(`assignee ${route.assignee}`);
  for (const key of ['during', 'queueIfNoneEligible', 'escalateTo', 'boost'] as const) {
    if (route[key] !== undefined) parts.push(`${key} ${formatValue(route[key])}`);
  }
  return parts.join('; ');
}

function memberSummary(m: Record<string, unknown>): string {
  const parts: string[] = [];
  if (m.capacity !== undefined) parts.push(`capacity ${m.capacity}`);
  if (m.skills !== undefined) parts.push(`skills ${formatValue(m.skills)}`);
  if (m.timezone !== undefined) parts.push(String(m.timezone));
  return parts.join(', ');
}

function teamSummary(t: Record<string, unknown>): string {
  return `members ${formatValue(t.members)}`;
}

function describeWhen(v: unknown): string {
  if (v === undefined) return 'always';
  try {
    return describeCondition(v as Condition);
  } catch {
    return formatValue(v);
  }
}

/** `(unset)`, scalars as written, lists as `[a, b]`, objects as compact `{k: v}`. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}: ${formatValue(x)}`)
    .join(', ')}}`;
}
