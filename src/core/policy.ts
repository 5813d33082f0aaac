/** Policy and roster types as decide() sees them: already validated and compiled. */
import type { TaskField } from './task.js';

export type Scalar = string | number | boolean;

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | FieldCondition;

export type FieldCondition = { field: TaskField } & (
  | { eq: Scalar }
  | { in: Scalar[] }
  | { contains: Scalar }
  | { matches: string }
  | { gte: number | string }
  | { lte: number | string }
);

export type StrategyName = 'direct' | 'round_robin' | 'least_loaded';

export interface Route {
  /** Unique within the policy; decisions and round-robin cursors name it. */
  name: string;
  when?: Condition;
  strategy: StrategyName;
  /** Candidate pool: members of these teams plus these members (round_robin, least_loaded). */
  teams?: string[];
  members?: string[];
  /** direct: this member; when absent, the task's requestedAssignee. */
  assignee?: string;
  /** When the route matches but nobody is eligible: wait in this queue instead of trying the next route. */
  queueIfNoneEligible?: string;
}

export interface Policy {
  /** Content hash of the policy as declared; decisions name it. */
  version: string;
  routes: Route[];
  /** Where a task waits when no route assigns it. */
  fallbackQueue: string;
}

export interface Member {
  id: string;
  name: string;
  /** Max open tasks; a member at capacity is never chosen by a strategy. */
  capacity: number;
  skills: string[];
  timezone?: string;
  handles: { slack?: string; jira?: string; github?: string };
}

export interface Team {
  id: string;
  name: string;
  members: string[];
}

/** The roster decide() routes over, indexed once when the config is loaded. */
export interface Roster {
  members: ReadonlyMap<string, Member>;
  teams: ReadonlyMap<string, Team>;
}

/** Mutable state decide() reads, captured by the pipeline just before deciding. */
export interface Snapshot {
  /** Open tasks per member id (absent = 0). */
  load: Record<string, number>;
  /** Members flagged away (absent = available). */
  away: Record<string, boolean>;
  /** Last member assigned by each round-robin route (absent = none yet). */
  cursors: Record<string, string>;
}
