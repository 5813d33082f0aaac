/** Schedules as decide() and the on-call API see them: rotations, hours, leave. Pure data. */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Recurring weekly hours in a time zone. `end` ≤ `start` means the window runs past midnight. */
export interface WeeklyHours {
  days: Weekday[];
  /** Local wall-clock time, HH:mm. */
  start: string;
  /** Local wall-clock time, HH:mm; 24:00 allowed for end of day. */
  end: string;
}

export interface BusinessHours extends WeeklyHours {
  /** Local dates (YYYY-MM-DD) on which the hours do not apply. */
  holidays: string[];
}

/**
 * One layer of an on-call schedule. Shift k (k = 0, 1, …) starts at `handoff` plus k × `every`
 * `unit`, and belongs to members[k mod members.length]. Days and weeks are calendar units in
 * `timeZone`: a hand-off at 09:00 stays at 09:00 local across DST changes (that shift is 23 or
 * 25 hours long). Hours are absolute: a 12-hour shift is always 12 real hours.
 */
export interface Rotation {
  name: string;
  members: string[];
  every: number;
  unit: 'hours' | 'days' | 'weeks';
  /** Local date-time of the first hand-off, YYYY-MM-DDTHH:mm, in `timeZone`. Nobody is on call in this layer before it. */
  handoff: string;
  timeZone: string;
}

/** "bob covers alice from … to …": while it lasts, wherever alice is on call, bob is. */
export interface RotationOverride {
  member: string;
  covers: string;
  /** RFC 3339 instants; `to` is exclusive. */
  from: string;
  to: string;
}

export interface OnCallSchedule {
  /** Layers in priority order: the first is primary, the next takes over when it is unavailable. */
  layers: Rotation[];
  overrides: RotationOverride[];
}

export interface OnCallEntry {
  layer: string;
  member: string;
  /** Set when an override put `member` here in place of `covering`. */
  covering?: string;
}

export interface Shift extends OnCallEntry {
  /** RFC 3339 UTC instants; `end` is exclusive. */
  start: string;
  end: string;
}

/** A leave period: local dates YYYY-MM-DD (inclusive, in the member's zone) or RFC 3339 instants (`to` exclusive). */
export interface Leave {
  from: string;
  to: string;
}

export interface LocalClock {
  weekday: Weekday;
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
  /** Local date YYYY-MM-DD. */
  date: string;
}
