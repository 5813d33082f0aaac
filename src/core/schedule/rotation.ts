/**
 * On-call rotations: who is on call in each layer at an instant, and the shifts over a window.
 * Pure: time always comes in as a parameter; nothing iterates over past shifts.
 *
 * Shift k of a layer starts at the hand-off plus k × `every` units:
 *  - 'hours' is absolute time: first hand-off instant + k × every × 3 600 000 ms, so the local
 *    wall-clock hand-off moves by an hour across a DST change.
 *  - 'days' / 'weeks' are calendar units on the local wall clock: the local date moves on by
 *    k × every days (× 7 for weeks), the local time stays the hand-off's, and that local
 *    date-time is then resolved to an instant in `timeZone`:
 *      · a local time that does not exist (skipped by the clocks going forward, e.g. 02:30 on
 *        2026-03-29 in Europe/Berlin) moves forward by the length of the gap (→ 03:30 CEST,
 *        01:30Z), as Luxon does; the shifts after it are back at 02:30;
 *      · a local time that happens twice (the clocks going back, e.g. 02:30 on 2026-10-25 in
 *        Europe/Berlin) is its first occurrence (02:30 CEST, 00:30Z).
 *    Local times are resolved here from IANAZone offsets rather than with DateTime.fromObject /
 *    plus(), because Luxon picks between the two occurrences of an ambiguous local time using
 *    the offset at Settings.now() (when parsing) or of the DateTime being added to: its answer
 *    would depend on the clock. The date arithmetic itself is plain calendar arithmetic.
 */
import type { IANAZone } from 'luxon';
import { DAY_MS, isKnownZone, isRealDate, MINUTE_MS, parseInstant, wallClockMs, zoneOf } from './hours.js';
import type { OnCallEntry, OnCallSchedule, Rotation, RotationOverride, Shift } from './types.js';

const HOUR_MS = 3_600_000;
const UNITS: readonly string[] = ['hours', 'days', 'weeks'];
const HANDOFF = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

/** A validated rotation, ready for O(1) shift arithmetic. */
interface Layer {
  rotation: Rotation;
  zone: IANAZone;
  absolute: boolean;
  /** Shift length: real ms for 'hours', wall-clock ms for 'days'/'weeks'. */
  step: number;
  /** The first hand-off as a local wall clock (fields read as UTC) and as an instant. */
  anchorWall: number;
  anchorMs: number;
}

interface Cover {
  member: string;
  covers: string;
  from: number;
  to: number;
}

/** The local date-time YYYY-MM-DDTHH:mm as UTC milliseconds of the same fields, or NaN. */
function parseHandoff(s: string): number {
  const m = typeof s === 'string' ? HANDOFF.exec(s) : null;
  if (!m) return Number.NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isRealDate(year, month, day)) return Number.NaN;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0–99 to 1900–1999
  d.setUTCHours(Number(m[4]), Number(m[5]), 0, 0);
  return d.getTime();
}

/** The instant at which the zone's wall clock reads `wall`; see the module comment for gaps and overlaps. */
function wallToInstant(zone: IANAZone, wall: number): number {
  // The candidate instants lie within ±14 h of `wall`, so the offsets a day either side are the
  // ones in force before and after any transition near it.
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  const larger = Math.max(before, after); // larger offset = earlier instant = first occurrence
  const smaller = Math.min(before, after);
  if (zone.offset(wall - larger * MINUTE_MS) === larger) return wall - larger * MINUTE_MS;
  if (zone.offset(wall - smaller * MINUTE_MS) === smaller) return wall - smaller * MINUTE_MS;
  return wall - before * MINUTE_MS; // skipped: keep the offset from before the gap, i.e. move forward
}

function compile(rotation: Rotation): Layer {
  const problems = rotationProblems(rotation);
  if (problems.length > 0) throw new Error(`rotation ${JSON.stringify(rotation.name)}: ${problems.join('; ')}`);
  const zone = zoneOf(rotation.timeZone);
  const absolute = rotation.unit === 'hours';
  const unitMs = absolute ? HOUR_MS : rotation.unit === 'weeks' ? 7 * DAY_MS : DAY_MS;
  const anchorWall = parseHandoff(rotation.handoff);
  return {
    rotation,
    zone,
    absolute,
    step: rotation.every * unitMs,
    anchorWall,
    anchorMs: wallToInstant(zone, anchorWall),
  };
}

/** Start of shift k (k may be negative: that is before the first hand-off). */
function startOf(layer: Layer, k: number): number {
  return layer.absolute
    ? layer.anchorMs + k * layer.step
    : wallToInstant(layer.zone, layer.anchorWall + k * layer.step);
}

/** The k whose shift [start(k), start(k+1)) contains `ms`; negative before the first hand-off. */
function shiftIndex(layer: Layer, ms: number): number {
  // Estimate from the nominal length (exact for 'hours'; for calendar units the local wall clock
  // is off only around a DST change), then correct with exact starts: at most a step or two.
  const elapsed = layer.absolute ? ms - layer.anchorMs : wallClockMs(layer.zone, ms) - layer.anchorWall;
  let k = Math.floor(elapsed / layer.step);
  while (startOf(layer, k) > ms) k--;
  while (startOf(layer, k + 1) <= ms) k++;
  return k;
}

function parseOverrides(overrides: RotationOverride[]): Cover[] {
  return overrides.map((o, i) => {
    const problems = overrideProblems(o);
    if (problems.length > 0) throw new Error(`override #${i + 1}: ${problems.join('; ')}`);
    return { member: o.member, covers: o.covers, from: parseInstant(o.from), to: parseInstant(o.to) };
  });
}

/** The first-listed override covering `member` at `ms`. */
function coverAt(covers: Cover[], member: string, ms: number): Cover | undefined {
  return covers.find((c) => c.covers === member && c.from <= ms && ms < c.to);
}

function entry(layer: string, member: string, cover: Cover | undefined): OnCallEntry {
  return cover ? { layer, member: cover.member, covering: member } : { layer, member };
}

function checkedMs(d: Date, what: string): number {
  const ms = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`${what} must be a valid Date`);
  return ms;
}

/**
 * Who is on call at `at`: one entry per layer, in layer order, after overrides. A layer whose
 * first hand-off is after `at`, or that has no members, is absent.
 */
export function onCallAt(schedule: OnCallSchedule, at: Date): OnCallEntry[] {
  const ms = checkedMs(at, 'onCallAt: at');
  const covers = parseOverrides(schedule.overrides);
  const out: OnCallEntry[] = [];
  for (const rotation of schedule.layers) {
    const layer = compile(rotation);
    const n = rotation.members.length;
    if (n === 0) continue;
    const k = shiftIndex(layer, ms);
    if (k < 0) continue;
    const member = rotation.members[k % n]!;
    out.push(entry(rotation.name, member, coverAt(covers, member, ms)));
  }
  return out;
}

/**
 * Every shift of every layer that intersects [from, to), clipped to it, sorted by start then
 * layer order. Overrides split a shift into pieces; a covered piece carries `covering`. Throws
 * when from ≥ to, or when more than `maxShifts` pieces would be produced (the work is bounded
 * by that number, whatever the window).
 */
export function shiftsBetween(schedule: OnCallSchedule, from: Date, to: Date, maxShifts = 1000): Shift[] {
  const lo = checkedMs(from, 'shiftsBetween: from');
  const hi = checkedMs(to, 'shiftsBetween: to');
  if (lo >= hi) throw new Error(`shiftsBetween: from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  const covers = parseOverrides(schedule.overrides);
  const out: Shift[] = [];
  const push = (shift: Shift) => {
    if (out.length >= maxShifts)
      throw new Error(
        `shiftsBetween: more than ${maxShifts} shifts between ${from.toISOString()} and ${to.toISOString()}; ` +
          'ask for a shorter window or a larger maxShifts',
      );
    out.push(shift);
  };
  for (const rotation of schedule.layers) {
    const layer = compile(rotation);
    const n = rotation.members.length;
    if (n === 0) continue;
    let k = Math.max(0, shiftIndex(layer, lo));
    let start = startOf(layer, k);
    while (start < hi) {
      const end = startOf(layer, k + 1);
      splitByOverrides(rotation.name, rotation.members[k % n]!, Math.max(start, lo), Math.min(end, hi), covers, push);
      k++;
      start = end;
    }
  }
  // Stable sort: within one start, pieces stay in layer order.
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Pieces of one (clipped) shift [start, end) of `member`, split where the covering override changes. */
function splitByOverrides(
  layer: string,
  member: string,
  start: number,
  end: number,
  covers: Cover[],
  push: (s: Shift) => void,
): void {
  let last: Shift | undefined;
  for (let cur = start; cur < end; ) {
    let next = end;
    for (const c of covers) {
      if (c.covers !== member) continue;
      if (c.from > cur && c.from < next) next = c.from;
      if (c.to > cur && c.to < next) next = c.to;
    }
    const e = entry(layer, member, coverAt(covers, member, cur));
    if (last && last.member === e.member && last.covering === e.covering) last.end = new Date(next).toISOString();
    else {
      last = { ...e, start: new Date(cur).toISOString(), end: new Date(next).toISOString() };
      push(last);
    }
    cur = next;
  }
}

/** Human-readable problems with a rotation, for the config loader; empty when valid. */
export function rotationProblems(r: Rotation): string[] {
  const problems: string[] = [];
  if (typeof r.name !== 'string' || r.name.trim() === '') problems.push('name must not be empty');
  if (!Array.isArray(r.members)) problems.push('members must be a list of member ids');
  else
    for (const m of r.members)
      if (typeof m !== 'string' || m === '') problems.push(`members: ${JSON.stringify(m)} is not a member id`);
  if (!Number.isSafeInteger(r.every) || r.every < 1)
    problems.push(`every must be a whole number ≥ 1 (got ${JSON.stringify(r.every)})`);
  if (!UNITS.includes(r.unit)) problems.push(`unit must be hours, days or weeks (got ${JSON.stringify(r.unit)})`);
  if (Number.isNaN(parseHandoff(r.handoff)))
    problems.push(
      `handoff must be a real local date-time YYYY-MM-DDTHH:mm such as 2026-03-16T09:00 (got ${JSON.stringify(r.handoff)})`,
    );
  if (!isKnownZone(r.timeZone))
    problems.push(`timeZone must be an IANA time zone such as Europe/Berlin (got ${JSON.stringify(r.timeZone)})`);
  return problems;
}

/** Human-readable problems with an override, for the config loader; empty when valid. */
export function overrideProblems(o: RotationOverride): string[] {
  const problems: string[] = [];
  for (const key of ['member', 'covers'] as const)
    if (typeof o[key] !== 'string' || o[key] === '') problems.push(`${key} must be a member id`);
  if (problems.length === 0 && o.member === o.covers) problems.push(`${o.member} cannot cover for themselves`);
  const from = parseInstant(o.from);
  const to = parseInstant(o.to);
  for (const [key, ms] of [['from', from] as const, ['to', to] as const])
    if (Number.isNaN(ms))
      problems.push(`${key} must be an RFC 3339 instant such as 2026-03-18T12:00:00Z (got ${JSON.stringify(o[key])})`);
  if (from >= to) problems.push(`from (${o.from}) must be before to (${o.to})`);
  return problems;
}
