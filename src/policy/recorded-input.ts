/**
 * What simulation and replay share: reading recorded decisions page by page, the routing of
 * each stored policy version (built once), the recorded answers of custom functions, and the
 * split of a snapshot into its store part (loads, away flags, turns, related assignees: only
 * the store knows them) and its schedule part (on call, hours, clocks, leave: a pure function
 * of the roster and `now`, so it can be recomputed for another roster).
 */
import { buildRouting, policyVersionOf, type RoutingDocument } from '../config/tenant.js';
import type { FunctionAnswer, Snapshot } from '../core/index.js';
import type { PolicyStore } from '../store/policy-store.js';
import type {
  RecordedDecision,
  RecordedDecisionQuery,
  RecordedDecisionStore,
  RecordedDetail,
} from '../store/recorded-decision-store.js';

export type Routing = ReturnType<typeof buildRouting>;

/** The reads simulation and replay need: recorded decisions and the policy versions they name. */
export type RecordedSource = RecordedDecisionStore & PolicyStore;

/** Rows per page: big enough that the round trips do not matter, small enough to stream. */
export const PAGE_SIZE = 500;

/**
 * Recorded automatic decisions in id order, `limit` at most, in pages (never all at once).
 * `truncated()` tells afterwards whether more rows were left in the window.
 */
export function recordedDecisions(
  source: RecordedSource,
  tenantId: string,
  window: Pick<RecordedDecisionQuery, 'from' | 'to'>,
  limit: number,
  pageSize = PAGE_SIZE,
): { pages: AsyncGenerator<RecordedDecision[]>; truncated: () => boolean } {
  let truncated = false;
  async function* pages(): AsyncGenerator<RecordedDecision[]> {
    let after: string | undefined;
    let left = limit;
    while (left > 0) {
      const want = Math.min(pageSize, left);
      // One row more than needed on the last page tells whether the limit cut the window short.
      const rows = await source.listRecordedDecisions(tenantId, {
        ...window,
        ...(after ? { after } : {}),
        limit: want === left ? want + 1 : want,
      });
      if (rows.length > left) {
        truncated = true;
        rows.length = left;
      }
      if (rows.length === 0) return;
      yield rows;
      left -= rows.length;
      after = rows.at(-1)?.id;
      if (rows.length < want) return;
    }
  }
  return { pages: pages(), truncated: () => truncated };
}

export type StoredVersion =
  /** `hashMatches`: the stored document still hashes to its id (false = the document was edited). */
  | { routing: Routing; hashMatches: boolean }
  /** The stored document no longer builds (edited into something invalid). */
  | { error: string };

/** Routing of stored policy versions by id, built once each; undefined when the store has no such version. */
export class VersionRoutings {
  private readonly cache = new Map<string, Promise<StoredVersion | undefined>>();

  constructor(
    private readonly source: PolicyStore,
    private readonly tenantId: string,
  ) {}

  get(version: string): Promise<StoredVersion | undefined> {
    let hit = this.cache.get(version);
    if (!hit) {
      hit = this.load(version);
      this.cache.set(version, hit);
    }
    return hit;
  }

  private async load(version: string): Promise<StoredVersion | undefined> {
    const row = await this.source.getPolicyVersion(this.tenantId, { id: version });
    if (!row) return undefined;
    const document = row.document as RoutingDocument;
    try {
      return { routing: buildRouting(document), hashMatches: policyVersionOf(document) === version };
    } catch (e) {
      return { error: `the stored document of ${version} does not build: ${(e as Error).message}` };
    }
  }
}

/** The answers the decision's custom functions gave, by step, as decideStep() takes them. */
export function recordedAnswers(detail: RecordedDetail): Map<string, FunctionAnswer & { ref: string }> {
  const answers = new Map<string, FunctionAnswer & { ref: string }>();
  for (const c of detail.functions ?? []) {
    const step = c.step;
    if (typeof step !== 'string') continue;
    const ref = `${String(c.name)}@${String(c.version)}`;
    answers.set(
      step,
      c.outcome === 'ok'
        ? { ok: true, value: c.value, ref }
        : { ok: false, reason: typeof c.error === 'string' ? c.error : String(c.outcome), ref },
    );
  }
  return answers;
}

/** Snapshot keys computed from the roster and `now` (src/core/schedule-state.ts). */
export const SCHEDULE_KEYS = ['clocks', 'teamOpen', 'onCall', 'offHours', 'onLeave'] as const;

/** The snapshot without its schedule part: what only the store knows. */
export function storePart(snapshot: Snapshot): Snapshot {
  const out: Record<string, unknown> = { ...snapshot };
  for (const key of SCHEDULE_KEYS) delete out[key];
  return out as unknown as Snapshot;
}
