/**
 * Impact analysis: what a candidate policy version would have decided for the tasks the tenant
 * actually routed, compared with what was decided. Every recorded automatic decision is decided
 * again by the PURE decide path with the candidate's compiled policy, on the same task, the same
 * store state (loads, away flags, round-robin turns, related assignees) and the same `now` the
 * event saw. Nothing is written.
 *
 * What it does not model: a changed assignment changes later loads, but each event keeps the
 * loads it originally saw, so knock-on effects are not simulated (docs/simulate-and-replay.md).
 *
 * Schedule state (on call, business hours, clocks, working hours, leave) is a function of the
 * roster and `now`. When the candidate's schedules equal those of the version that made the
 * decision and it reads nothing that version did not (core/snapshot-reads.ts), the recorded
 * schedule is used as is; otherwise the candidate's schedule is computed from its own roster
 * at the event's `now` (to the second, cached), so a changed rotation is simulated too.
 *
 * Fixtures (`{ task, snapshot?, now? }`) are decided by the active version and the candidate,
 * on the given store state or, by default, the live one.
 */
import {
  type CompiledPolicy,
  canonicalJson,
  type Decision,
  decideStep,
  type FunctionAnswer,
  type Snapshot,
  type Task,
} from '../core/index.js';
import type { Roster } from '../core/policy.js';
import { computeScheduleState } from '../core/schedule-state.js';
import { readsCovered, scheduleReads } from '../core/snapshot-reads.js';
import { decideWithFunctions, REMOTE_NOT_CALLED } from '../functions/decide-with-functions.js';
import type { FunctionHost } from '../functions/function-host.js';
import type { FunctionCallRecord } from '../functions/types.js';
import type { RecordedDecision } from '../store/recorded-decision-store.js';
import {
  type RecordedSource,
  type Routing,
  recordedAnswers,
  recordedDecisions,
  SCHEDULE_KEYS,
  storePart,
  VersionRoutings,
} from './recorded-input.js';
import { compareDecisions, ReportBuilder, recordedAsDecision, type SimulationReport } from './simulation-report.js';

export const DEFAULT_LIMIT = 10_000;
export const MAX_LIMIT = 100_000;

export type {
  CandidateComparison,
  ChangeReason,
  DecisionSummary,
  MemberLoad,
  SimulatedEvent,
  SimulationReport,
} from './simulation-report.js';
export { compareDecisions, withBaseline } from './simulation-report.js';

export interface Fixture {
  task: Task;
  /** Store state (load, away, turns…); absent schedule keys are computed for each version at `now`. */
  snapshot?: Partial<Snapshot>;
  now?: string;
  file?: string;
}

export const SKIP_NO_TASK = 'no stored task (recorded before migration 0008)';
export const SKIP_FUNCTIONS = 'the candidate needs a custom function answer this decision did not record';
export const SKIP_REMOTE =
  'the candidate needs a remote function answer this decision did not record (simulation makes no remote calls)';

/**
 * Simulate the candidate over the tenant's recorded automatic decisions in [from, to), in id
 * order, at most `limit`. Reads only; pages of recorded decisions are streamed.
 */
export async function simulateRecorded(
  source: RecordedSource,
  o: {
    tenantId: string;
    candidate: Routing;
    from?: string;
    to?: string;
    limit?: number;
    changedOnly?: boolean;
    pageSize?: number;
    /** Runs the candidate's sandboxed functions; without it, only recorded answers are used. */
    functions?: FunctionHost;
  },
): Promise<SimulationReport> {
  const report = new ReportBuilder(o.changedOnly ?? false);
  const versions = new VersionRoutings(source, o.tenantId);
  const schedules = new CandidateSchedule(o.candidate);
  const window = { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) };
  const read = recordedDecisions(source, o.tenantId, window, o.limit ?? DEFAULT_LIMIT, o.pageSize);
  const baselines = new Set<string>();
  for await (const page of read.pages) {
    for (const rec of page) {
      if (rec.task === null) {
        report.skip(SKIP_NO_TASK);
        continue;
      }
      baselines.add(rec.policyVersion);
      const now = new Date(rec.createdAt);
      const stored = await versions.get(rec.policyVersion);
      const recordedRouting = stored && 'routing' in stored ? stored.routing : undefined;
      const snapshot = schedules.reuses(recordedRouting)
        ? rec.snapshot
        : { ...storePart(rec.snapshot), ...schedules.at(now) };
      const after = await decideOffline(rec.task, snapshot, o.candidate.compiled, now, rec, o);
      if ('skip' in after) {
        report.skip(after.skip);
        continue;
      }
      report.add(
        compareDecisions(recordedAsDecision(rec), after.decision, {
          decisionId: rec.id,
          eventId: rec.eventId,
          externalId: rec.task.externalId,
          at: rec.createdAt,
        }),
      );
    }
  }
  return report.build(
    {
      tenant: o.tenantId,
      mode: 'recorded',
      baseline: baselines.size === 1 ? ([...baselines][0] as string) : null,
      candidate: o.candidate.policy.version,
      window: { from: o.from ?? null, to: o.to ?? null },
    },
    read.truncated(),
  );
}

/**
 * Decide each fixture with the active version (when given) and the candidate. `storeState`
 * gives the store part of the snapshot for a fixture without one (the live store state, or an
 * empty one offline); the schedule part is computed per version at the fixture's `now`.
 */
export async function simulateFixtures(
  fixtures: readonly Fixture[],
  o: {
    tenantId: string;
    active: Routing | null;
    candidate: Routing;
    storeState: (task: Task) => Promise<Snapshot>;
    now: () => Date;
    changedOnly?: boolean;
    mode?: 'fixtures' | 'events';
    functions?: FunctionHost;
  },
): Promise<SimulationReport> {
  const report = new ReportBuilder(o.changedOnly ?? false);
  for (const [i, f] of fixtures.entries()) {
    const now = f.now ? new Date(f.now) : o.now();
    const base: Partial<Snapshot> = f.snapshot ?? (await o.storeState(f.task));
    const snapshotFor = (routing: Routing): Snapshot => ({
      load: {},
      away: {},
      ...computedSchedule(routing, now, base),
      ...base,
    });
    const after = await decideOffline(f.task, snapshotFor(o.candidate), o.candidate.compiled, now, null, o);
    if ('skip' in after) {
      report.skip(after.skip);
      continue;
    }
    let before: Decision | null = null;
    if (o.active) {
      const decided = await decideOffline(f.task, snapshotFor(o.active), o.active.compiled, now, null, o);
      if ('skip' in decided) {
        report.skip(decided.skip);
        continue;
      }
      before = decided.decision;
    }
    report.add(
      compareDecisions(before, after.decision, {
        ...(f.file ? { file: f.file } : { fixture: i }),
        externalId: f.task.externalId,
        at: now.toISOString(),
      }),
    );
  }
  return report.build(
    {
      tenant: o.tenantId,
      mode: o.mode ?? 'fixtures',
      baseline: o.active?.policy.version ?? null,
      candidate: o.candidate.policy.version,
      window: { from: null, to: null },
    },
    false,
  );
}

/** The schedule keys `given` lacks, computed from the routing's roster at `now` (to the second). */
function computedSchedule(routing: Routing, now: Date, given: Partial<Snapshot>): Partial<Snapshot> {
  if (SCHEDULE_KEYS.every((k) => k in given)) return {};
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return computeScheduleState(routing, at, scheduleReads(routing.compiled));
}

/**
 * The candidate's schedule state: reused from the recorded snapshot when it would be the same,
 * else computed from the candidate's roster (cached per second: recorded decisions come in id
 * order, which is close to time order).
 */
class CandidateSchedule {
  private readonly key: string;
  private readonly reuse = new WeakMap<Routing, boolean>();
  private readonly bySecond = new Map<number, Partial<Snapshot>>();

  constructor(private readonly candidate: Routing) {
    this.key = scheduleKey(candidate.roster);
  }

  /** Whether the recorded schedule state is exactly what the candidate would read. */
  reuses(recorded: Routing | undefined): boolean {
    if (!recorded) return false;
    let hit = this.reuse.get(recorded);
    if (hit === undefined) {
      hit =
        scheduleKey(recorded.roster) === this.key &&
        readsCovered(scheduleReads(this.candidate.compiled), scheduleReads(recorded.compiled));
      this.reuse.set(recorded, hit);
    }
    return hit;
  }

  at(now: Date): Partial<Snapshot> {
    const second = Math.floor(now.getTime() / 1000);
    let state = this.bySecond.get(second);
    if (!state) {
      if (this.bySecond.size >= 4096) this.bySecond.clear();
      state = computeScheduleState(this.candidate, new Date(second * 1000), scheduleReads(this.candidate.compiled));
      this.bySecond.set(second, state);
    }
    return state;
  }
}

/** Everything the schedule state is computed from: zones, hours, leave, rotations. */
function scheduleKey(roster: Roster): string {
  const byId = <T extends { id: string }>(xs: Iterable<T>) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
  return canonicalJson({
    members: byId(roster.members.values()).map((m) => [m.id, m.timezone, m.workingHours ?? null, m.leave]),
    teams: byId(roster.teams.values()).map((t) => [t.id, t.timezone, t.businessHours ?? null, t.onCall ?? null]),
  });
}

/**
 * decide() without network I/O. With a function host, the candidate's sandboxed functions run
 * (the pinned version, on this event's input) and a remote function's recorded answer is reused
 * when its version and input are unchanged; a remote call it would need is never made, and the
 * event is skipped. Without a host, recorded answers are used by step and version only.
 */
async function decideOffline(
  task: Task,
  snapshot: Snapshot,
  compiled: CompiledPolicy,
  now: Date,
  rec: RecordedDecision | null,
  o: { tenantId: string; functions?: FunctionHost },
): Promise<{ decision: Decision } | { skip: string }> {
  if (compiled.hasFunctions && o.functions) {
    const known = (rec?.detail.functions ?? []) as unknown as FunctionCallRecord[];
    const r = await decideWithFunctions(task, snapshot, compiled, now, {
      tenantId: o.tenantId,
      host: o.functions,
      known,
      offline: true,
    });
    return r.calls.some((c) => c.error === REMOTE_NOT_CALLED) ? { skip: SKIP_REMOTE } : { decision: r.decision };
  }
  const recorded = rec ? recordedAnswers(rec.detail) : new Map<string, FunctionAnswer & { ref: string }>();
  const answers = new Map<string, FunctionAnswer>();
  for (;;) {
    let step: ReturnType<typeof decideStep>;
    try {
      step = decideStep(task, snapshot, compiled, now, answers);
    } catch (e) {
      // A malformed stored snapshot, say: report it, do not fail the whole simulation.
      return { skip: `decide failed: ${(e as Error).message}` };
    }
    if ('decision' in step) return { decision: step.decision };
    const known = recorded.get(step.need.step);
    if (!known || known.ref !== `${step.need.ref.name}@${step.need.ref.version}` || answers.has(step.need.step)) {
      return { skip: SKIP_FUNCTIONS };
    }
    answers.set(step.need.step, known);
  }
}
