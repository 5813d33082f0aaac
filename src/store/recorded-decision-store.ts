/**
 * Recorded automatic decisions with everything decide() saw (task, snapshot, `now`), read in
 * keyset pages for simulation and replay.
 */
import type { Candidate, RouteTrace, Snapshot } from '../core/index.js';
import type { DecisionRow } from './task-store.js';

export interface RecordedDecisionQuery {
  /** created_at ≥ from (RFC 3339 with milliseconds, UTC). */
  from?: string;
  /** created_at < to. */
  to?: string;
  /** Only ids greater than this (the last id of the previous page). */
  after?: string;
  limit: number;
}

/** What the decision's detail column holds: the candidates and routes tried, and custom function calls. */
export interface RecordedDetail {
  candidates: Candidate[];
  routesTried: RouteTrace[];
  escalated?: boolean;
  boost?: number;
  /** src/functions FunctionCallRecord: step, name, version, outcome, value, error … */
  functions?: Record<string, unknown>[];
}

/** An automatic decision as stored (DecisionRow), with its detail, snapshot and task typed for replay. */
export interface RecordedDecision
  extends Omit<DecisionRow, 'kind' | 'outcome' | 'detail' | 'snapshot' | 'supersedesId' | 'reason' | 'actor'> {
  outcome: 'assigned' | 'queued';
  detail: RecordedDetail;
  snapshot: Snapshot;
}

export interface RecordedDecisionStore {
  /** Automatic decisions with their task and snapshot, in id order, created_at in [from, to), ids after `after`. */
  listRecordedDecisions(tenantId: string, q: RecordedDecisionQuery): Promise<RecordedDecision[]>;
  /** Every tenant that has automatic decisions, by id (`replay --verify` without --tenant). */
  tenantsWithDecisions(): Promise<string[]>;
}
