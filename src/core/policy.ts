/** Policy and roster types as decide() sees them: already validated and compiled. */
import type {
  BusinessHours,
  Leave,
  LocalClock,
  OnCallEntry,
  OnCallSchedule,
  Weekday,
  WeeklyHours,
} from './schedule/types.js';
import type { TaskField } from './task.js';

export type Scalar = string | number | boolean;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | FieldCondition
  | ClockCondition;

export type FieldCondition = { field: TaskField } & (
  | { eq: Scalar }
  | { in: Scalar[] }
  | { contains: Scalar }
  | { matches: string }
  | { gte: number | string }
  | { lte: number | string }
);

/** Time of day and weekday in a team's zone: `{ clock: { team: payments, weekdays: [sat, sun] } }`. */
export interface ClockCondition {
  clock: {
    team: string;
    weekdays?: Weekday[];
    /** Local [from, to) as HH:mm; to ≤ from wraps past midnight. */
    between?: [string, string];
  };
}

export type StrategyName =
  | 'direct'
  | 'round_robin'
  | 'least_loaded'
  | 'skills'
  | 'on_call'
  | 'sticky'
  /** A custom `decide` function picks the assignee or queue (route field `function`). */
  | 'function';

/** A custom function pinned to one immutable version: `name@version` in the config. */
export interface FunctionRef {
  name: string;
  version: number;
}

/**
 * What a route does when its function times out, fails or answers in the wrong shape:
 * `next_route`, wait in a `queue`, or `config` — decide as if the function were not there
 * (score: rank by the route's own strategy; match: the `when` alone decides; decide: next route).
 */
export type FunctionFallback = { action: 'next_route' } | { action: 'queue'; queue: string } | { action: 'config' };

export interface SkillWeights {
  /** Weight of the average level (1–5, scaled to 0–1) over the required skills. */
  level: number;
  /** Weight of the share of preferred skills the member has. */
  preferred: number;
  /** Weight of free capacity (1 − load/capacity). */
  load: number;
}

export interface SkillsSpec {
  /** Members without all of these (at minLevel or above) are excluded. */
  required: string[];
  preferred: string[];
  minLevel: number;
  weights: SkillWeights;
}

export interface Route {
  /** Unique within the policy; decisions and round-robin turns name it. */
  name: string;
  when?: Condition;
  strategy: StrategyName;
  /** Candidate pool: members of these teams plus these members (round_robin, least_loaded, skills). on_call: the first team's schedule. direct and sticky name their own candidates. */
  teams?: string[];
  members?: string[];
  /** direct: this member; when absent, the task's requestedAssignee. */
  assignee?: string;
  /** skills: what to score on. */
  skills?: SkillsSpec;

  // Modifiers
  /** Match only while the hours team is inside (or outside) its business hours. */
  during?: 'business_hours' | 'outside_business_hours';
  /** Whose business hours `during` means; default the route's first team. */
  hoursTeam?: string;
  /** Candidates must have all of these skills (any level). */
  requireSkills?: string[];
  /** Candidates outside their own working hours are excluded. */
  excludeOffHours?: boolean;
  /** Assign even to members at capacity (default: true for on_call, false otherwise). */
  ignoreCapacity?: boolean;
  /** VIP/priority boost: while queued, the task ranks as if its priority were this much more urgent. */
  boost?: number;
  /** When the route matches but nobody is eligible: wait in this queue instead of trying the next route. */
  queueIfNoneEligible?: string;
  /** When the route matches but nobody is eligible: assign to this member instead (capacity not checked). */
  escalateTo?: string;

  // Custom functions (src/functions): each is a step inside decide, its answer supplied by the caller.
  /** A `match` function: the route applies only when it also answers true. */
  match?: FunctionRef;
  /** strategy `function`: the `decide` function that picks. */
  function?: FunctionRef;
  /** A `score` function that ranks the eligible candidates (least_loaded, skills, round_robin). */
  score?: FunctionRef;
  /** When a function fails; default `config` for score and match, `next_route` for decide. */
  onFunctionError?: FunctionFallback;
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
  /** Optional tighter limits per task type, e.g. { incident: 2 }. */
  capacityByType: Record<string, number>;
  /** Skill → level 1..5. */
  skills: Record<string, number>;
  timezone: string;
  workingHours?: WeeklyHours;
  leave: Leave[];
  handles: { slack?: string; jira?: string; github?: string };
}

export interface Team {
  id: string;
  name: string;
  members: string[];
  timezone: string;
  businessHours?: BusinessHours;
  onCall?: OnCallSchedule;
  /** Who is paged when every on-call layer is unavailable. */
  escalation?: string;
}

/** The roster decide() routes over, indexed once when the config is loaded. */
export interface Roster {
  members: ReadonlyMap<string, Member>;
  teams: ReadonlyMap<string, Team>;
}

/**
 * Mutable state decide() reads, captured by the pipeline just before deciding and stored with
 * the decision, so replay sees exactly what decide() saw. Schedule-derived fields (on call,
 * hours, leave, clocks) are computed from the config and `now` by src/core/schedule.
 */
export interface Snapshot {
  /** Open tasks per member id (absent = 0). */
  load: Record<string, number>;
  /** Open tasks per member per task type, for capacityByType (absent = 0). */
  loadByType?: Record<string, Record<string, number>>;
  /** Members flagged away through the API (absent = available). */
  away: Record<string, boolean>;
  /** Round-robin: per route, the turn number of each member's last assignment. */
  turns?: Record<string, Record<string, number>>;
  /** Legacy round-robin cursor (last member assigned per route); kept readable for old snapshots. */
  cursors?: Record<string, string>;
  /** Per team: who is on call now, one entry per layer in layer order. */
  onCall?: Record<string, OnCallEntry[]>;
  onLeave?: Record<string, boolean>;
  /** Members outside their own working hours now. */
  offHours?: Record<string, boolean>;
  /** Per team: inside business hours now. */
  teamOpen?: Record<string, boolean>;
  /** Per team: local weekday and time now. */
  clocks?: Record<string, LocalClock>;
  /** Assignees of the tasks this task names as related (externalId → member), for sticky. */
  related?: Record<string, string>;
}
