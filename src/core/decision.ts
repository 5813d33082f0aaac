/** What decide() returns: the outcome plus everything needed to explain it. */
import type { FunctionFallback, StrategyName } from './policy.js';

export type ExclusionReason =
  | { code: 'at_capacity'; load: number; capacity: number; type?: string }
  | { code: 'away' }
  | { code: 'on_leave' }
  | { code: 'off_hours' }
  | { code: 'missing_skill'; skill: string; level?: number; minLevel?: number }
  | { code: 'unknown_member' }
  /** A score function gave this candidate no score. */
  | { code: 'not_scored' };

export interface Candidate {
  memberId: string;
  /** Present for eligible candidates: higher is better. */
  score?: number;
  /** How the score was made up (skills: level, preferred, load), each already weighted. */
  breakdown?: Record<string, number>;
  excluded?: ExclusionReason;
}

export interface RouteTrace {
  route: string;
  matched: boolean;
  /** What a matched route did; `no_eligible_candidate` means the next route was tried. */
  outcome?: 'assigned' | 'no_eligible_candidate' | 'queued';
  /** For a route that matched but could not assign: who it considered and why each was excluded. */
  candidates?: Candidate[];
  /** For a route that matched but could not assign, when no candidate explains it (e.g. nobody requested). */
  why?: string;
  /** The route's custom function failed: which step, why, and the fallback it took. */
  function?: { step: string; failure: string; fallback: FunctionFallback };
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
  /** Set when nobody was eligible and the route's escalateTo (or the team's escalation) took the task. */
  escalated?: boolean;
  /** The route's VIP/priority boost: while queued, the task ranks this much more urgent. */
  boost?: number;
  explanation: string;
}
