import type { CompiledRoute } from '../compiled-policy.js';
import type { Candidate } from '../decision.js';
import type { Roster, Snapshot } from '../policy.js';
import type { Task } from '../task.js';

export interface StrategyInput {
  route: CompiledRoute;
  task: Task;
  roster: Roster;
  snapshot: Snapshot;
}

export interface StrategyResult {
  /** The chosen member, or null when nobody is eligible. */
  assignee: string | null;
  /** Every candidate considered, with a score (eligible) or the reason it was excluded. */
  candidates: Candidate[];
  /** Half a sentence on how the assignee was picked, for the explanation. */
  why: string;
  /** Set when the assignee is an escalation target (on_call: the team's escalation), not a regular pick. */
  escalated?: boolean;
}

export type Strategy = (input: StrategyInput) => StrategyResult;
