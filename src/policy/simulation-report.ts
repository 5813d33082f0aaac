/**
 * The simulation report: what changed per event and why (route and candidate-score
 * differences), totals, per-member load before and after, and tasks that would become
 * unassigned; built the same way for recorded decisions, fixtures and event files.
 */
import type { Candidate, Decision } from '../core/index.js';
import type { RecordedDecision } from '../store/recorded-decision-store.js';

/** Where a task went: the fields a person compares. */
export interface DecisionSummary {
  outcome: 'assigned' | 'queued';
  assignee: string | null;
  queue: string | null;
  route: string | null;
  strategy: string | null;
  policyVersion: string;
}

/** One member's standing in the route that decided, before and after (score or exclusion). */
export interface CandidateComparison {
  memberId: string;
  before: Omit<Candidate, 'memberId'> | null;
  after: Omit<Candidate, 'memberId'> | null;
}

export interface ChangeReason {
  /** One sentence. */
  summary: string;
  route: { before: string | null; after: string | null };
  /** Routes tried in both whose match changed. */
  nowMatching: string[];
  noLongerMatching: string[];
  /** The members chosen before and after, as each decision scored (or excluded) them. */
  candidates: CandidateComparison[];
}

export interface SimulatedEvent {
  /** The recorded decision (recorded mode). */
  decisionId?: string;
  eventId?: string | null;
  /** Fixture mode: its position in the request; CLI: the file it came from. */
  fixture?: number;
  file?: string;
  externalId: string;
  /** The `now` it was decided at. */
  at: string;
  /** null when there is nothing to compare with (events from files without a baseline). */
  before: DecisionSummary | null;
  after: DecisionSummary;
  /** Where the task goes differs: outcome, assignee or queue. */
  changed: boolean;
  /** The deciding route differs (even if the task lands with the same person). */
  routeChanged: boolean;
  why?: ChangeReason;
}

export interface MemberLoad {
  memberId: string;
  before: number;
  after: number;
  delta: number;
}

export interface SimulationReport {
  tenant: string;
  mode: 'recorded' | 'fixtures' | 'events';
  /** The version compared against: the recorded decisions' versions, or the active one (fixtures). */
  baseline: string | null;
  candidate: string;
  window: { from: string | null; to: string | null };
  totals: {
    /** Decisions compared (skipped ones not included). */
    events: number;
    changed: number;
    /** changed / events × 100, two decimals. */
    changedPercent: number;
    routeChanged: number;
    /** Assigned before, queued after. */
    becameUnassigned: number;
    skipped: number;
    /** The limit was reached before the end of the window. */
    truncated: boolean;
  };
  skipped: { reason: string; count: number }[];
  /** Assignments per member in the window, before and after (members with any, by id). */
  load: MemberLoad[];
  unassigned: { decisionId?: string; externalId: string; assigneeBefore: string; queueAfter: string | null }[];
  /** Every event compared (or only the changed ones with `changedOnly`). */
  events: SimulatedEvent[];
}

/** Collects results into a report; shared by every mode. */
export class ReportBuilder {
  private readonly events: SimulatedEvent[] = [];
  private readonly skips = new Map<string, number>();
  private readonly loads = new Map<string, { before: number; after: number }>();
  private readonly unassigned: SimulationReport['unassigned'] = [];
  private compared = 0;
  private changed = 0;
  private routeChanged = 0;

  constructor(private readonly changedOnly: boolean) {}

  skip(reason: string, count = 1): void {
    this.skips.set(reason, (this.skips.get(reason) ?? 0) + count);
  }

  add(e: SimulatedEvent): void {
    this.compared++;
    if (e.changed) this.changed++;
    if (e.routeChanged) this.routeChanged++;
    if (e.before?.assignee) this.load(e.before.assignee).before++;
    if (e.after.assignee) this.load(e.after.assignee).after++;
    if (e.before?.outcome === 'assigned' && e.after.outcome === 'queued') {
      this.unassigned.push({
        ...(e.decisionId ? { decisionId: e.decisionId } : {}),
        externalId: e.externalId,
        assigneeBefore: e.before.assignee as string,
        queueAfter: e.after.queue,
      });
    }
    if (!this.changedOnly || e.changed || e.routeChanged) this.events.push(e);
  }

  private load(member: string) {
    let l = this.loads.get(member);
    if (!l) {
      l = { before: 0, after: 0 };
      this.loads.set(member, l);
    }
    return l;
  }

  build(
    head: Pick<SimulationReport, 'tenant' | 'mode' | 'baseline' | 'candidate' | 'window'>,
    truncated: boolean,
  ): SimulationReport {
    const skipped = [...this.skips].map(([reason, count]) => ({ reason, count }));
    return {
      ...head,
      totals: {
        events: this.compared,
        changed: this.changed,
        changedPercent: this.compared ? Math.round((this.changed / this.compared) * 10_000) / 100 : 0,
        routeChanged: this.routeChanged,
        becameUnassigned: this.unassigned.length,
        skipped: skipped.reduce((n, s) => n + s.count, 0),
        truncated,
      },
      skipped,
      load: [...this.loads]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([memberId, l]) => ({ memberId, ...l, delta: l.after - l.before })),
      unassigned: this.unassigned,
      events: this.events,
    };
  }
}

/**
 * Compare a report's new decisions with those of an earlier report (a previous `--json` run),
 * event by event on the task's external id: the CI check for event files, which have no
 * recorded decision of their own.
 */
export function withBaseline(
  report: SimulationReport,
  baseline: Pick<SimulationReport, 'candidate' | 'events'>,
  o: { changedOnly?: boolean } = {},
): SimulationReport {
  const before = new Map(baseline.events.map((e) => [e.externalId, e.after]));
  const builder = new ReportBuilder(o.changedOnly ?? false);
  for (const s of report.skipped) builder.skip(s.reason, s.count);
  const comparable = (d: DecisionSummary): Comparable => ({ ...d, candidates: [], routesTried: [] });
  for (const e of report.events) {
    const { before: _b, after, changed: _c, routeChanged: _r, why: _w, ...ids } = e;
    const was = before.get(e.externalId);
    builder.add(compareDecisions(was ? comparable(was) : null, comparable(after), ids));
  }
  return builder.build(
    {
      tenant: report.tenant,
      mode: report.mode,
      baseline: baseline.candidate,
      candidate: report.candidate,
      window: report.window,
    },
    report.totals.truncated,
  );
}

export type Comparable = Pick<Decision, 'outcome' | 'assignee' | 'queue' | 'route' | 'policyVersion'> & {
  strategy: string | null;
  candidates: Candidate[];
  routesTried: Decision['routesTried'];
};

export function recordedAsDecision(rec: RecordedDecision): Comparable {
  return {
    outcome: rec.outcome,
    assignee: rec.assignee,
    queue: rec.queue,
    route: rec.route,
    strategy: rec.strategy,
    policyVersion: rec.policyVersion,
    candidates: rec.detail.candidates ?? [],
    routesTried: rec.detail.routesTried ?? [],
  };
}

function summary(d: Comparable): DecisionSummary {
  return {
    outcome: d.outcome,
    assignee: d.assignee,
    queue: d.queue,
    route: d.route,
    strategy: d.strategy,
    policyVersion: d.policyVersion,
  };
}

/** Pure: the comparison of one event's decision before and after, with the reason when they differ. */
export function compareDecisions(
  before: Comparable | null,
  after: Comparable,
  ids: Omit<SimulatedEvent, 'before' | 'after' | 'changed' | 'routeChanged' | 'why'>,
): SimulatedEvent {
  const event: SimulatedEvent = {
    ...ids,
    before: before && summary(before),
    after: summary(after),
    changed: false,
    routeChanged: false,
  };
  if (!before) return event;
  event.changed =
    before.outcome !== after.outcome || before.assignee !== after.assignee || before.queue !== after.queue;
  event.routeChanged = before.route !== after.route;
  if (event.changed || event.routeChanged) event.why = reasonFor(before, after);
  return event;
}

function reasonFor(before: Comparable, after: Comparable): ChangeReason {
  const matched = (d: Comparable) => new Map(d.routesTried.map((t) => [t.route, t.matched]));
  const was = matched(before);
  const now = matched(after);
  const nowMatching = [...now].filter(([r, m]) => m && was.get(r) === false).map(([r]) => r);
  const noLongerMatching = [...now].filter(([r, m]) => !m && was.get(r) === true).map(([r]) => r);
  const members = [...new Set([before.assignee, after.assignee].filter((m): m is string => m !== null))];
  const standing = (d: Comparable, id: string) => {
    const c = d.candidates.find((x) => x.memberId === id);
    if (!c) return null;
    const { memberId: _, ...rest } = c;
    return rest;
  };
  const candidates = members.map((memberId) => ({
    memberId,
    before: standing(before, memberId),
    after: standing(after, memberId),
  }));
  return {
    summary: sentence(before, after, nowMatching, noLongerMatching),
    route: { before: before.route, after: after.route },
    nowMatching,
    noLongerMatching,
    candidates,
  };
}

function where(d: Comparable): string {
  return d.outcome === 'assigned' ? `assigned to ${d.assignee}` : `queued in "${d.queue}"`;
}

function routeName(route: string | null): string {
  return route === null ? 'the fallback queue' : `route "${route}"`;
}

function sentence(before: Comparable, after: Comparable, nowMatching: string[], noLongerMatching: string[]): string {
  const parts: string[] = [];
  if (before.route !== after.route) {
    parts.push(`${routeName(after.route)} decides now instead of ${routeName(before.route)}`);
    if (nowMatching.length) parts.push(`now matching: ${nowMatching.map((r) => `"${r}"`).join(', ')}`);
    if (noLongerMatching.length) parts.push(`no longer matching: ${noLongerMatching.map((r) => `"${r}"`).join(', ')}`);
  } else if (after.route !== null) {
    parts.push(`route "${after.route}" (${after.strategy ?? before.strategy}) decided both times`);
  }
  if (before.outcome !== after.outcome || before.assignee !== after.assignee || before.queue !== after.queue) {
    parts.push(`${where(after)} (was ${where(before)})`);
  } else {
    parts.push(`still ${where(after)}`);
  }
  return parts.join('; ');
}
