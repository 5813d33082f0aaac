/** The one paragraph a team lead reads to learn why a task went where it went. */
import { describeCondition } from './conditions.js';
import type { DecisionDraft, ExplainContext } from './decide.js';
import type { Candidate, ExclusionReason } from './decision.js';
import type { FunctionFallback } from './policy.js';

export function describeExclusion(reason: ExclusionReason): string {
  switch (reason.code) {
    case 'at_capacity':
      return `at capacity ${reason.load}/${reason.capacity}${reason.type ? ` for ${reason.type} tasks` : ''}`;
    case 'away':
      return 'away';
    case 'on_leave':
      return 'on leave';
    case 'off_hours':
      return 'outside working hours';
    case 'missing_skill':
      return reason.level === undefined
        ? `missing skill \`${reason.skill}\``
        : `skill \`${reason.skill}\` at level ${reason.level}, below ${reason.minLevel}`;
    case 'unknown_member':
      return 'not a known member';
    case 'not_scored':
      return 'not scored by the function';
  }
}

function exclusions(candidates: readonly Candidate[]): string {
  return candidates
    .filter((c) => c.excluded)
    .map((c) => `${c.memberId} (${describeExclusion(c.excluded as ExclusionReason)})`)
    .join(', ');
}

export function explain(d: DecisionDraft, ctx: ExplainContext): string {
  const parts: string[] = [];
  const routeByName = new Map(ctx.compiled.routes.map((r) => [r.route.name, r.route]));
  const skipped = ctx.tried.filter((t) => !t.matched).map((t) => t.route);
  const empty = ctx.tried.filter((t) => t.matched && t.outcome === 'no_eligible_candidate');

  const because = (name: string) => {
    const route = routeByName.get(name);
    const hours =
      route?.during === 'business_hours'
        ? ' during business hours'
        : route?.during === 'outside_business_hours'
          ? ' outside business hours'
          : '';
    if (route?.when) return `the task matched ${describeCondition(route.when)}${hours}`;
    return hours ? `it takes every task${hours}` : 'it is a catch-all route';
  };
  if (d.outcome === 'assigned' && d.route) {
    const name = ctx.compiled.roster.members.get(d.assignee ?? '')?.name ?? d.assignee;
    parts.push(
      `Assigned to ${name} (${d.assignee}) by route "${d.route}" (${d.strategy}) because ${because(d.route)}: ${ctx.why}.`,
    );
  } else if (d.route) {
    const reason = d.candidates.length === 0 && ctx.why ? ` (${ctx.why})` : '';
    parts.push(`Queued in "${d.queue}" by route "${d.route}": ${because(d.route)} but nobody was eligible${reason}.`);
  } else {
    parts.push(`No route assigned the task, so it waits in the fallback queue "${d.queue}".`);
  }
  const excludedHere = exclusions(d.candidates);
  if (excludedHere) parts.push(`Excluded: ${excludedHere}.`);
  for (const t of empty) {
    const ex = exclusions(t.candidates ?? []) || t.why;
    parts.push(`Route "${t.route}" matched but nobody was eligible${ex ? `: ${ex}` : ''}.`);
  }
  for (const t of ctx.tried) {
    if (t.function)
      parts.push(`Route "${t.route}": ${t.function.failure}; fallback ${describeFallback(t.function.fallback)}.`);
  }
  if (skipped.length) parts.push(`Routes not matched: ${skipped.map((s) => `"${s}"`).join(', ')}.`);
  parts.push(`Policy ${d.policyVersion}.`);
  return parts.join(' ');
}

function describeFallback(f: FunctionFallback): string {
  if (f.action === 'queue') return `queue "${f.queue}"`;
  return f.action === 'config' ? 'the config decision' : 'the next route';
}
