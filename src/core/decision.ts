/** What decide() returns: the outcome plus everything needed to explain it. */
import type { StrategyName } from './policy.js';

export type ExclusionReason =
  | { code: 'at_capacity'; load: number; capacity: number }
  | { code: 'away' }
  | { code: 'unknown_member' };

export interface Candidate {
  memberId: string;
  /** Present for eligible candidates: higher is better. */
  score?: number;
  excluded?: ExclusionReason;
}

export interface RouteTrace {
  route: string;
  matched: boolean;
  /** Why a matched route did not assign (nobody eligible). */
  outcome?: 'assigned' | 'no_eligible_candidate' | 'queued';
}

export interface Decision {
  outcome: 'assigned' | 'queued';
  assignee: string | null;
  queue: string | null;
  /** The route that produced the outcome; null when the fallback queue took the task. */
  route: string | null;
  strategy: StrategyName | null;
  candidates: Candidate[];
  routesTried: RouteTrace[];
  policyVersion: string;
  explanation: string;
}
