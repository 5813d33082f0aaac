/**
 * Local wall-clock questions about an instant: which weekday/minute/date is it in a zone, is a
 * weekly window open, is a member on leave. Pure: the instant always comes in as a parameter, and
 * time-zone offsets come from the IANA database through Luxon's IANAZone (no system zone, no clock).
 *
 * Windows are judged on the local wall clock: in the hour a DST change skips, nothing local
 * happens; in the hour it repeats, both passes count as that local time.
 */
import { IANAZone } from 'luxon';
import type { BusinessHours, Leave, LocalClock, Weekday, WeeklyHours } from './types.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Indexed like Date#getUTCDay(): 0 is Sunday. */
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEKDAY_LIST = 'mon, tue, wed, thu, fri, sat, sun';
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** The IANA zone called `name`, or a clear Error. Luxon caches zones by name, so this is cheap. */
export function zoneOf(name: string): IANAZone {
  const zone = typeof name === 'string' && name !== '' ? IANAZone.create(name) : null;
  if (!zone?.isValid) throw new Error(`unknown time zone ${JSON.stringify(name)}`);
  return zone;
}

export function isKnownZone(name: string): boolean {
  return typeof name === 'string' && name !== '' && IANAZone.create(name).isValid;
}

/** The local wall-clock reading at `ms`, expressed as milliseconds of the same fields read as UTC. */
export function wallClockMs(zone: IANAZone, ms: number): number {
  return ms + zone.offset(ms) * MINUTE_MS;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** YYYY-MM-DD that names a real calendar date. */
export function isLocalDate(s: string): boolean {
  const m = typeof s === 'string' ? LOCAL_DATE.exec(s) : null;
  return m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * Epoch ms of an RFC 3339 instant with an explicit offset (Z or ±HH:mm), or NaN. Stricter than
 * Date.parse, which reads a time without offset in the process's zone and rolls 02-30 over to 03-02.
 */
export function parseInstant(s: string): number {
  const m = typeof s === 'string' ? RFC3339.exec(s) : null;
  if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) return Number.NaN;
  return Date.parse(s);
}

interface Clock {
  weekday: number;
  minutes: number;
  /** Local wall clock as UTC milliseconds (see wallClockMs). */
  wall: number;
}

function clockAt(timeZone: string, at: Date): Clock {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new Error('invalid Date');
  const wall = wallClockMs(zoneOf(timeZone), ms);
  const d = new Date(wall);
  return { weekday: d.getUTCDay(), minutes: d.getUTCHours() * 60 + d.getUTCMinutes(), wall };
}

const dateOf = (wall: number): string => new Date(wall).toISOString().slice(0, 10);

export function localClock(timeZone: string, at: Date): LocalClock {
  const c = clockAt(timeZone, at);
  return { weekday: WEEKDAYS[c.weekday]!, minutes: c.minutes, date: dateOf(c.wall) };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The local date on which the window containing `at` started, or null when `at` is outside
 * every window. For an overnight window the part after midnight belongs to the previous day.
 */
function windowStartDate(hours: WeeklyHours, timeZone: string, at: Date): string | null {
  const problems = hoursProblems(hours);
  if (problems.length > 0) throw new Error(`invalid hours: ${problems.join('; ')}`);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  const c = clockAt(timeZone, at);
  const listed = (weekday: number) => hours.days.includes(WEEKDAYS[(weekday + 7) % 7]!);
  if (end > start) return listed(c.weekday) && c.minutes >= start && c.minutes < end ? dateOf(c.wall) : null;
  // end ≤ start: [start, 24:00) on the listed day, then [00:00, end) on the day after it.
  if (listed(c.weekday) && c.minutes >= start) return dateOf(c.wall);
  if (c.minutes < end && listed(c.weekday - 1)) return dateOf(c.wall - DAY_MS);
  return null;
}

export function isWithinHours(hours: WeeklyHours, timeZone: string, at: Date): boolean {
  return windowStartDate(hours, timeZone, at) !== null;
}

/** Within hours, unless the window started on a holiday (so a holiday also closes its overnight tail). */
export function isBusinessOpen(hours: BusinessHours, timeZone: string, at: Date): boolean {
  const day = windowStartDate(hours, timeZone, at);
  return day !== null && !hours.holidays.includes(day);
}

/**
 * True when `at` falls in any leave period. Each bound is read on its own: a local date
 * YYYY-MM-DD is a whole local day in `timeZone` (both bounds inclusive), an RFC 3339 instant is
 * exact (`from` inclusive, `to` exclusive).
 */
export function isOnLeave(leave: Leave[], timeZone: string, at: Date): boolean {
  if (leave.length === 0) return false;
  const ms = at.getTime();
  const date = localClock(timeZone, at).date;
  return leave.some((l) => {
    const problems = leaveProblems(l);
    if (problems.length > 0) throw new Error(`invalid leave: ${problems.join('; ')}`);
    const afterFrom = isLocalDate(l.from) ? date >= l.from : ms >= parseInstant(l.from);
    const beforeTo = isLocalDate(l.to) ? date <= l.to : ms < parseInstant(l.to);
    return afterFrom && beforeTo;
  });
}

/** Human-readable problems with a WeeklyHours (and a BusinessHours' holidays); empty when valid. */
export function hoursProblems(h: WeeklyHours | BusinessHours): string[] {
  const problems: string[] = [];
  if (!Array.isArray(h.days) || h.days.length === 0) problems.push('days must list at least one weekday');
  else {
    const seen = new Set<string>();
    for (const d of h.days) {
      if (!WEEKDAYS.includes(d)) problems.push(`days: ${JSON.stringify(d)} is not one of ${WEEKDAY_LIST}`);
      else if (seen.has(d)) problems.push(`days: ${d} is listed twice`);
      seen.add(d);
    }
  }
  if (typeof h.start !== 'string' || !HHMM.test(h.start))
    problems.push(`start must be a local time HH:mm from 00:00 to 23:59 (got ${JSON.stringify(h.start)})`);
  if (typeof h.end !== 'string' || !(HHMM.test(h.end) || h.end === '24:00'))
    problems.push(`end must be a local time HH:mm from 00:00 to 24:00 (got ${JSON.stringify(h.end)})`);
  if ('holidays' in h) {
    if (!Array.isArray(h.holidays)) problems.push('holidays must be a list of local dates YYYY-MM-DD');
    else
      for (const d of h.holidays)
        if (!isLocalDate(d)) problems.push(`holidays: ${JSON.stringify(d)} is not a local date YYYY-MM-DD`);
  }
  return problems;
}

/** Human-readable problems with a leave period; empty when valid. */
export function leaveProblems(l: Leave): string[] {
  const problems: string[] = [];
  for (const key of ['from', 'to'] as const) {
    const v = l[key];
    if (!isLocalDate(v) && Number.isNaN(parseInstant(v)))
      problems.push(
        `${key} must be a local date YYYY-MM-DD or an RFC 3339 instant such as 2026-12-24T09:00:00Z (got ${JSON.stringify(v)})`,
      );
  }
  if (problems.length === 0 && isLocalDate(l.from) === isLocalDate(l.to)) {
    const empty = isLocalDate(l.from) ? l.from > l.to : parseInstant(l.from) >= parseInstant(l.to);
    if (empty) problems.push(`the period from ${l.from} to ${l.to} is empty`);
  }
  return problems;
}
