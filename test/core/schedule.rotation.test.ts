/**
 * On-call rotations. Every expected instant below is computed by hand from the tz rules and
 * written literally (never with Luxon):
 *   Europe/Berlin     CET = UTC+1, CEST = UTC+2; summer time 2026-03-29 01:00Z → 2026-10-25 01:00Z.
 *   America/New_York  EST = UTC−5, EDT = UTC−4; summer time 2026-03-08 07:00Z → 2026-11-01 06:00Z.
 * Weekdays: 2026-03-16, 03-23, 03-30, 10-19 and 10-26 are Mondays; 2026-03-29 and 10-25 Sundays.
 */
import fc from 'fast-check';
import { Settings } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  type OnCallSchedule,
  onCallAt,
  overrideProblems,
  type Rotation,
  type RotationOverride,
  rotationProblems,
  shiftsBetween,
} from '../../src/core/schedule/index.js';

const at = (iso: string) => new Date(iso);
const one = (rotation: Rotation, overrides: RotationOverride[] = []): OnCallSchedule => ({
  layers: [rotation],
  overrides,
});
const who = (s: OnCallSchedule, iso: string) => onCallAt(s, at(iso));

/** Weekly, Monday 09:00 Berlin: shift k starts on 2026-03-16 + 7k days. */
const WEEKLY: Rotation = {
  name: 'primary',
  members: ['alice', 'bob', 'carol'],
  every: 1,
  unit: 'weeks',
  handoff: '2026-03-16T09:00',
  timeZone: 'Europe/Berlin',
};
/** Daily 08:30 New York from Friday 2026-03-06. */
const DAILY_NY: Rotation = {
  name: 'ny',
  members: ['ana', 'ben', 'cy'],
  every: 1,
  unit: 'days',
  handoff: '2026-03-06T08:30',
  timeZone: 'America/New_York',
};
/** Every 12 real hours from Saturday 2026-03-28 09:00 CET (08:00Z). */
const TWELVE_HOURS: Rotation = {
  ...WEEKLY,
  name: 'half-day',
  members: ['x', 'y'],
  every: 12,
  unit: 'hours',
  handoff: '2026-03-28T09:00',
};

describe('onCallAt: calendar units keep the local hand-off time across DST', () => {
  it.each<[string, string | null, string]>([
    ['2026-03-16T07:59:59.999Z', null, 'first hand-off is 09:00 CET = 08:00Z: nobody yet'],
    ['2026-03-16T08:00:00.000Z', 'alice', 'k=0 starts 09:00 CET = 08:00Z'],
    ['2026-03-23T07:59:59.000Z', 'alice', '08:59:59 CET, still k=0'],
    ['2026-03-23T08:00:00.000Z', 'bob', 'k=1 starts 09:00 CET = 08:00Z'],
    ['2026-03-30T06:59:59.000Z', 'bob', 'after the spring change: 08:59:59 CEST'],
    ['2026-03-30T07:00:00.000Z', 'carol', 'k=2 starts 09:00 CEST = 07:00Z (an hour earlier in UTC)'],
    ['2026-04-06T07:00:00.000Z', 'alice', 'k=3 wraps round to members[0]'],
    ['2026-10-19T06:59:59.000Z', 'alice', '08:59:59 CEST, k=30 (30 mod 3 = 0)'],
    ['2026-10-19T07:00:00.000Z', 'bob', 'k=31: 217 days after 03-16; 09:00 CEST = 07:00Z'],
    ['2026-10-26T07:59:59.000Z', 'bob', 'after the autumn change: 08:59:59 CET'],
    ['2026-10-26T08:00:00.000Z', 'carol', 'k=32 starts 09:00 CET = 08:00Z'],
  ])('weekly Berlin at %s → %s (%s)', (iso, member) => {
    expect(who(one(WEEKLY), iso)).toEqual(member ? [{ layer: 'primary', member }] : []);
  });

  it.each<[string, string | null, string]>([
    ['2026-03-06T13:29:59.000Z', null, 'first hand-off 08:30 EST = 13:30Z'],
    ['2026-03-06T13:30:00.000Z', 'ana', 'k=0'],
    ['2026-03-08T12:29:59.000Z', 'ben', '08:29:59 EDT on the day the clocks went forward'],
    ['2026-03-08T12:30:00.000Z', 'cy', 'k=2 at 08:30 EDT = 12:30Z, so k=1 lasted 23 h'],
    ['2026-03-09T12:30:00.000Z', 'ana', 'k=3 at 08:30 EDT'],
    ['2026-10-31T12:30:00.000Z', 'cy', 'k=239 (239 days after 03-06; 239 mod 3 = 2) at 08:30 EDT'],
    ['2026-11-01T12:30:00.000Z', 'cy', '07:30 EST: 08:30 EDT would have been the hand-off'],
    ['2026-11-01T13:29:59.000Z', 'cy', '08:29:59 EST, so k=239 lasts 25 h'],
    ['2026-11-01T13:30:00.000Z', 'ana', 'k=240 at 08:30 EST = 13:30Z'],
  ])('daily New York at %s → %s (%s)', (iso, member) => {
    expect(who(one(DAILY_NY), iso)).toEqual(member ? [{ layer: 'ny', member }] : []);
  });

  it.each([
    ['2026-03-28T20:00:00.000Z', 'y', 'k=1 at 21:00 CET'],
    ['2026-03-29T07:00:00.000Z', 'y', '09:00 CEST, the old wall-clock hand-off: 12 real hours have not passed'],
    ['2026-03-29T07:59:59.000Z', 'y', '09:59:59 CEST'],
    ['2026-03-29T08:00:00.000Z', 'x', 'k=2 at 08:00Z = 10:00 CEST: the wall-clock hand-off moved'],
    ['2026-03-29T20:00:00.000Z', 'y', 'k=3 at 22:00 CEST'],
  ])("'hours' is absolute: at %s → %s (%s)", (iso, member) => {
    expect(who(one(TWELVE_HOURS), iso)).toEqual([{ layer: 'half-day', member }]);
  });

  it('a hand-off time the clocks skip moves forward by the gap; one they repeat is its first occurrence', () => {
    const gap: Rotation = { ...WEEKLY, name: 'g', members: ['a', 'b'], unit: 'days', handoff: '2026-03-27T02:30' };
    expect(shiftsBetween(one(gap), at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z'))).toEqual([
      { layer: 'g', member: 'a', start: '2026-03-27T01:30:00.000Z', end: '2026-03-28T01:30:00.000Z' }, // 02:30 CET
      // 02:30 on 03-29 does not exist (02:00 CET → 03:00 CEST): 03:30 CEST = 01:30Z, so this one is 24 h
      { layer: 'g', member: 'b', start: '2026-03-28T01:30:00.000Z', end: '2026-03-29T01:30:00.000Z' },
      { layer: 'g', member: 'a', start: '2026-03-29T01:30:00.000Z', end: '2026-03-30T00:30:00.000Z' }, // to 02:30 CEST
      { layer: 'g', member: 'b', start: '2026-03-30T00:30:00.000Z', end: '2026-03-31T00:00:00.000Z' }, // clipped
    ]);
    // 01:15Z is 03:15 CEST: past 02:30 on the wall clock, but the 03:30 CEST hand-off has not happened.
    expect(who(one(gap), '2026-03-29T01:15:00Z')).toEqual([{ layer: 'g', member: 'b' }]);
    const twice: Rotation = { ...gap, handoff: '2026-10-24T02:30' };
    // 01:15Z is 02:15 CET, the second pass: before 02:30 on the wall clock, but after the 00:30Z hand-off.
    expect(who(one(twice), '2026-10-25T01:15:00Z')).toEqual([{ layer: 'g', member: 'b' }]);
    expect(who(one(twice), '2026-10-25T00:29:59Z')).toEqual([{ layer: 'g', member: 'a' }]); // 02:29:59 CEST
    expect(shiftsBetween(one(twice), at('2026-10-24T00:00:00Z'), at('2026-10-27T00:00:00Z'))).toEqual([
      { layer: 'g', member: 'a', start: '2026-10-24T00:30:00.000Z', end: '2026-10-25T00:30:00.000Z' }, // 02:30 CEST
      // 02:30 on 10-25 happens at 00:30Z (CEST) and 01:30Z (CET): the first; so this shift is 25 h
      { layer: 'g', member: 'b', start: '2026-10-25T00:30:00.000Z', end: '2026-10-26T01:30:00.000Z' },
      { layer: 'g', member: 'a', start: '2026-10-26T01:30:00.000Z', end: '2026-10-27T00:00:00.000Z' }, // 02:30 CET
    ]);
    // Luxon resolves an ambiguous parse with the offset at Settings.now(); ours must not depend on the clock.
    const original = Settings.now;
    try {
      for (const now of [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)]) {
        Settings.now = () => now;
        expect(who(one({ ...twice, handoff: '2026-10-25T02:30' }), '2026-10-25T00:30:00Z')).toEqual([
          { layer: 'g', member: 'a' },
        ]);
      }
    } finally {
      Settings.now = original;
    }
  });

  it('answers for rotations years old without walking their history', () => {
    // 2015-01-05 → 2026-01-05 is 11 years with 3 leap days = 4018 days; → 2026-07-05 +181; → 07-15 +10: 4209.
    const daily: Rotation = {
      ...WEEKLY,
      name: 'd',
      members: ['m0', 'm1', 'm2', 'm3', 'm4'],
      unit: 'days',
      handoff: '2015-01-05T09:00',
    };
    expect(who(one(daily), '2026-07-15T07:00:00Z')).toEqual([{ layer: 'd', member: 'm4' }]); // k=4209, 09:00 CEST
    expect(who(one(daily), '2026-07-15T06:59:59Z')).toEqual([{ layer: 'd', member: 'm3' }]); // k=4208
    // Hourly from 08:00Z (09:00 CET) on 2015-01-05: 4209 × 24 = 101016 h to 2026-07-15 08:00Z.
    const hourly: Rotation = { ...daily, name: 'h', members: ['p', 'q', 'r', 's', 't', 'u', 'v'], unit: 'hours' };
    expect(who(one(hourly), '2026-07-15T07:00:00Z')).toEqual([{ layer: 'h', member: 'u' }]); // 101015 mod 7 = 5
    expect(who(one(hourly), '2026-07-15T06:59:59Z')).toEqual([{ layer: 'h', member: 't' }]); // 101014 mod 7 = 4
  });

  it('a layer with no members is absent', () => {
    expect(who(one({ ...WEEKLY, members: [] }), '2026-05-01T00:00:00Z')).toEqual([]);
  });
});

describe('onCallAt: layers and overrides', () => {
  const SECONDARY: Rotation = { ...WEEKLY, name: 'secondary', members: ['dave', 'erin'], handoff: '2026-03-23T09:00' };
  const layered = (overrides: RotationOverride[] = []): OnCallSchedule => ({ layers: [WEEKLY, SECONDARY], overrides });
  const bobForAlice = { member: 'bob', covers: 'alice', from: '2026-03-18T12:00:00Z', to: '2026-03-19T12:00:00Z' };

  it('returns one entry per layer, in layer order; a layer not started yet is absent', () => {
    expect(who(layered(), '2026-03-20T12:00:00Z')).toEqual([{ layer: 'primary', member: 'alice' }]);
    expect(who(layered(), '2026-03-24T12:00:00Z')).toEqual([
      { layer: 'primary', member: 'bob' },
      { layer: 'secondary', member: 'dave' },
    ]);
    expect(who(layered(), '2026-03-31T12:00:00Z')).toEqual([
      { layer: 'primary', member: 'carol' },
      { layer: 'secondary', member: 'erin' },
    ]);
  });

  it.each<[string, string | null, string]>([
    ['2026-03-18T11:59:59.999Z', null, 'just before the override'],
    ['2026-03-18T12:00:00.000Z', 'bob', '`from` is inclusive'],
    ['2026-03-19T11:59:59.999Z', 'bob', 'last millisecond'],
    ['2026-03-19T12:00:00.000Z', null, '`to` is exclusive'],
  ])('bob covers alice: at %s → %s (%s)', (iso, cover) => {
    const entry = cover
      ? { layer: 'primary', member: cover, covering: 'alice' }
      : { layer: 'primary', member: 'alice' };
    expect(who(one(WEEKLY, [bobForAlice]), iso)).toEqual([entry]);
  });

  it('an override for someone not on call changes nothing; the first-listed match wins', () => {
    const daveForCarol = { ...bobForAlice, member: 'dave', covers: 'carol' };
    expect(who(one(WEEKLY, [daveForCarol]), '2026-03-18T12:00:00Z')).toEqual([{ layer: 'primary', member: 'alice' }]);
    const carolForAlice = {
      member: 'carol',
      covers: 'alice',
      from: '2026-03-18T00:00:00Z',
      to: '2026-03-20T00:00:00Z',
    };
    const both = one(WEEKLY, [carolForAlice, bobForAlice]);
    expect(who(both, '2026-03-18T12:00:00Z')).toEqual([{ layer: 'primary', member: 'carol', covering: 'alice' }]);
    const reversed = one(WEEKLY, [bobForAlice, carolForAlice]);
    expect(who(reversed, '2026-03-18T12:00:00Z')).toEqual([{ layer: 'primary', member: 'bob', covering: 'alice' }]);
    expect(who(reversed, '2026-03-19T12:00:00Z')).toEqual([{ layer: 'primary', member: 'carol', covering: 'alice' }]);
  });

  it('applies wherever the covered member is on call, in every layer', () => {
    // secondary from 2026-03-09: k=1 (alice) runs 03-16 08:00Z → 03-23 08:00Z.
    const s: OnCallSchedule = {
      layers: [WEEKLY, { ...SECONDARY, members: ['dave', 'alice'], handoff: '2026-03-09T09:00' }],
      overrides: [bobForAlice],
    };
    expect(who(s, '2026-03-18T12:00:00Z')).toEqual([
      { layer: 'primary', member: 'bob', covering: 'alice' },
      { layer: 'secondary', member: 'bob', covering: 'alice' },
    ]);
  });
});

describe('shiftsBetween', () => {
  it('lists the shifts over a DST change, clipped, with a covered piece split out', () => {
    const daveForBob = { member: 'dave', covers: 'bob', from: '2026-03-25T00:00:00Z', to: '2026-03-26T00:00:00Z' };
    expect(shiftsBetween(one(WEEKLY, [daveForBob]), at('2026-03-20T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toEqual([
      { layer: 'primary', member: 'alice', start: '2026-03-20T00:00:00.000Z', end: '2026-03-23T08:00:00.000Z' }, // clipped
      { layer: 'primary', member: 'bob', start: '2026-03-23T08:00:00.000Z', end: '2026-03-25T00:00:00.000Z' }, // 09:00 CET
      {
        layer: 'primary',
        member: 'dave',
        covering: 'bob',
        start: '2026-03-25T00:00:00.000Z',
        end: '2026-03-26T00:00:00.000Z',
      },
      { layer: 'primary', member: 'bob', start: '2026-03-26T00:00:00.000Z', end: '2026-03-30T07:00:00.000Z' }, // 09:00 CEST
      { layer: 'primary', member: 'carol', start: '2026-03-30T07:00:00.000Z', end: '2026-04-01T00:00:00.000Z' }, // clipped
    ]);
  });

  it('keeps a piece whole while the winning override stays the same, and splits where it changes', () => {
    const carolForAlice = {
      member: 'carol',
      covers: 'alice',
      from: '2026-03-18T00:00:00Z',
      to: '2026-03-20T00:00:00Z',
    };
    const bobForAlice = { member: 'bob', covers: 'alice', from: '2026-03-18T12:00:00Z', to: '2026-03-21T00:00:00Z' };
    const s = one(WEEKLY, [carolForAlice, bobForAlice]);
    expect(shiftsBetween(s, at('2026-03-17T00:00:00Z'), at('2026-03-22T00:00:00Z'))).toEqual([
      { layer: 'primary', member: 'alice', start: '2026-03-17T00:00:00.000Z', end: '2026-03-18T00:00:00.000Z' },
      // carol is listed first, so bob's start at 03-18 12:00Z changes nothing
      {
        layer: 'primary',
        member: 'carol',
        covering: 'alice',
        start: '2026-03-18T00:00:00.000Z',
        end: '2026-03-20T00:00:00.000Z',
      },
      {
        layer: 'primary',
        member: 'bob',
        covering: 'alice',
        start: '2026-03-20T00:00:00.000Z',
        end: '2026-03-21T00:00:00.000Z',
      },
      { layer: 'primary', member: 'alice', start: '2026-03-21T00:00:00.000Z', end: '2026-03-22T00:00:00.000Z' },
    ]);
  });

  it('sorts by start, then layer order', () => {
    // secondary: daily at 09:00 Berlin from 03-16, so k=6 (dave) starts 03-22 08:00Z and k=7 (erin) 03-23 08:00Z.
    const secondary: Rotation = { ...WEEKLY, name: 'secondary', members: ['dave', 'erin'], unit: 'days' };
    const s: OnCallSchedule = { layers: [WEEKLY, secondary], overrides: [] };
    expect(shiftsBetween(s, at('2026-03-23T00:00:00Z'), at('2026-03-24T12:00:00Z'))).toEqual([
      { layer: 'primary', member: 'alice', start: '2026-03-23T00:00:00.000Z', end: '2026-03-23T08:00:00.000Z' },
      { layer: 'secondary', member: 'dave', start: '2026-03-23T00:00:00.000Z', end: '2026-03-23T08:00:00.000Z' },
      { layer: 'primary', member: 'bob', start: '2026-03-23T08:00:00.000Z', end: '2026-03-24T12:00:00.000Z' },
      { layer: 'secondary', member: 'erin', start: '2026-03-23T08:00:00.000Z', end: '2026-03-24T08:00:00.000Z' },
      { layer: 'secondary', member: 'dave', start: '2026-03-24T08:00:00.000Z', end: '2026-03-24T12:00:00.000Z' },
    ]);
  });

  it('New York daily shifts are 23 h and 25 h long on the change days; 12-hour shifts stay 12 h', () => {
    expect(shiftsBetween(one(DAILY_NY), at('2026-03-06T13:30:00Z'), at('2026-03-09T12:30:00Z'))).toEqual([
      { layer: 'ny', member: 'ana', start: '2026-03-06T13:30:00.000Z', end: '2026-03-07T13:30:00.000Z' }, // EST → EST
      { layer: 'ny', member: 'ben', start: '2026-03-07T13:30:00.000Z', end: '2026-03-08T12:30:00.000Z' }, // EST → EDT: 23 h
      { layer: 'ny', member: 'cy', start: '2026-03-08T12:30:00.000Z', end: '2026-03-09T12:30:00.000Z' }, // EDT → EDT
    ]);
    expect(shiftsBetween(one(DAILY_NY), at('2026-10-31T12:30:00Z'), at('2026-11-02T13:30:00Z'))).toEqual([
      { layer: 'ny', member: 'cy', start: '2026-10-31T12:30:00.000Z', end: '2026-11-01T13:30:00.000Z' }, // EDT → EST: 25 h
      { layer: 'ny', member: 'ana', start: '2026-11-01T13:30:00.000Z', end: '2026-11-02T13:30:00.000Z' },
    ]);
    expect(shiftsBetween(one(TWELVE_HOURS), at('2026-03-28T08:00:00Z'), at('2026-03-30T08:00:00Z'))).toEqual([
      { layer: 'half-day', member: 'x', start: '2026-03-28T08:00:00.000Z', end: '2026-03-28T20:00:00.000Z' }, // 09:00 CET
      { layer: 'half-day', member: 'y', start: '2026-03-28T20:00:00.000Z', end: '2026-03-29T08:00:00.000Z' }, // 21:00 CET
      { layer: 'half-day', member: 'x', start: '2026-03-29T08:00:00.000Z', end: '2026-03-29T20:00:00.000Z' }, // 10:00 CEST
      { layer: 'half-day', member: 'y', start: '2026-03-29T20:00:00.000Z', end: '2026-03-30T08:00:00.000Z' }, // 22:00 CEST
    ]);
  });

  it('is bounded by maxShifts and rejects an empty window', () => {
    const hourly = one({ ...WEEKLY, unit: 'hours', handoff: '2025-12-01T00:00', timeZone: 'UTC' });
    const [from, to] = [at('2026-01-01T00:00:00Z'), at('2026-01-01T10:00:00Z')]; // exactly 10 hourly shifts
    expect(shiftsBetween(hourly, from, to, 10)).toHaveLength(10);
    expect(() => shiftsBetween(hourly, from, to, 9)).toThrow(/more than 9 shifts/);
    expect(() => shiftsBetween(hourly, at('2026-01-01T00:00:00Z'), at('3026-01-01T00:00:00Z'))).toThrow(
      /more than 1000/,
    );
    expect(() => shiftsBetween(hourly, to, to)).toThrow(/must be before/);
    expect(() => shiftsBetween(hourly, to, from)).toThrow(/must be before/);
    expect(shiftsBetween(one(WEEKLY), at('2026-01-01T00:00:00Z'), at('2026-03-16T08:00:00Z'))).toEqual([]); // before k=0
  });
});

describe('validation', () => {
  it('rotationProblems explains each problem', () => {
    expect(rotationProblems(WEEKLY)).toEqual([]);
    const bad = {
      name: ' ',
      members: ['a', ''],
      every: 1.5,
      unit: 'months',
      handoff: '2026-02-30T09:00',
      timeZone: 'Mars/Olympus',
    };
    expect(rotationProblems(bad as unknown as Rotation)).toEqual([
      'name must not be empty',
      'members: "" is not a member id',
      'every must be a whole number ≥ 1 (got 1.5)',
      'unit must be hours, days or weeks (got "months")',
      'handoff must be a real local date-time YYYY-MM-DDTHH:mm such as 2026-03-16T09:00 (got "2026-02-30T09:00")',
      'timeZone must be an IANA time zone such as Europe/Berlin (got "Mars/Olympus")',
    ]);
    expect(rotationProblems({ ...WEEKLY, every: 0 })).toEqual(['every must be a whole number ≥ 1 (got 0)']);
    for (const handoff of ['2026-03-16 09:00', '2026-03-16T24:00', '2026-03-16T09:00Z', '2026-03-16T9:00'])
      expect(rotationProblems({ ...WEEKLY, handoff })).toHaveLength(1);
    expect(() => who(one({ ...WEEKLY, every: 0 }), '2026-04-01T00:00:00Z')).toThrow(
      /rotation "primary": every must be/,
    );
  });

  it('overrideProblems explains each problem', () => {
    const ok = { member: 'bob', covers: 'alice', from: '2026-03-18T12:00:00Z', to: '2026-03-19T12:00:00+01:00' };
    expect(overrideProblems(ok)).toEqual([]);
    expect(overrideProblems({ member: 'bob', covers: 'bob', from: '2026-03-18T12:00', to: ok.from })).toEqual([
      'bob cannot cover for themselves',
      'from must be an RFC 3339 instant such as 2026-03-18T12:00:00Z (got "2026-03-18T12:00")',
    ]);
    expect(overrideProblems({ ...ok, to: ok.from })).toEqual([
      'from (2026-03-18T12:00:00Z) must be before to (2026-03-18T12:00:00Z)',
    ]);
    expect(() => who(one(WEEKLY, [{ ...ok, to: '2026-02-30T00:00:00Z' }]), '2026-04-01T00:00:00Z')).toThrow(
      /override #1/,
    );
  });
});

// ---------- properties, against a reference that reads local time with Intl (not Luxon) ----------

const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'UTC'];
const DAY = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();
/** The zone's wall clock at `ms`, as UTC milliseconds of the same fields. */
function refWall(zone: string, ms: number): number {
  let f = formats.get(zone);
  if (!f) {
    const opts = {
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    } as const;
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', ...opts });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (((ms % 1000) + 1000) % 1000);
}
/** Shift index by the definition: calendar days elapsed on the local clock, or real hours elapsed. */
function refIndex(r: Rotation, ms: number): number {
  const handoffWall = Date.parse(`${r.handoff}:00Z`);
  if (r.unit === 'hours') {
    const guess = handoffWall - (refWall(r.timeZone, handoffWall) - handoffWall);
    const anchor = handoffWall - (refWall(r.timeZone, guess) - guess); // hand-off times below are never in a gap
    return Math.floor((ms - anchor) / (r.every * 3_600_000));
  }
  const wall = refWall(r.timeZone, ms);
  const days = Math.floor(wall / DAY) - Math.floor(handoffWall / DAY) - (wall % DAY < handoffWall % DAY ? 1 : 0);
  return Math.floor(days / (r.every * (r.unit === 'weeks' ? 7 : 1)));
}

const rotationArb: fc.Arbitrary<Rotation> = fc.record({
  name: fc.constant('l'),
  members: fc.constantFrom(['a'], ['a', 'b'], ['a', 'b', 'c', 'd']),
  every: fc.integer({ min: 1, max: 3 }),
  unit: fc.constantFrom('hours' as const, 'days' as const, 'weeks' as const),
  handoff: fc
    .tuple(
      fc.date({ min: new Date('2001-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }),
      fc.constantFrom('08:30', '09:00', '13:15', '17:45'),
    )
    .map(([d, hhmm]) => `${d.toISOString().slice(0, 10)}T${hhmm}`),
  timeZone: fc.constantFrom(...ZONES),
});
const instantArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

describe('properties', () => {
  it('onCallAt names members[k mod n] for the k that contains the instant', () => {
    fc.assert(
      fc.property(rotationArb, instantArb, (r, ms) => {
        const k = refIndex(r, ms);
        const expected = k < 0 ? [] : [{ layer: 'l', member: r.members[k % r.members.length] }];
        expect(onCallAt(one(r), new Date(ms))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('shiftsBetween tiles the window, agrees with onCallAt, and keeps the hand-off time', () => {
    const overrideArb = fc.record({
      member: fc.constant('z'),
      covers: fc.constantFrom('a', 'b'),
      from: fc.integer({ min: -2 * DAY, max: 2 * DAY }),
      length: fc.integer({ min: 1, max: DAY }),
    });
    fc.assert(
      fc.property(rotationArb, instantArb, fc.array(overrideArb, { maxLength: 3 }), (r, ms, raw) => {
        const overrides = raw.map((o) => ({
          member: o.member,
          covers: o.covers,
          from: new Date(ms + o.from).toISOString(),
          to: new Date(ms + o.from + o.length).toISOString(),
        }));
        const s = one(r, overrides);
        const [lo, hi] = [ms - 2 * DAY, ms + 2 * DAY];
        const shifts = shiftsBetween(s, new Date(lo), new Date(hi));
        let cursor = shifts.length > 0 ? Date.parse(shifts[0]!.start) : hi;
        if (refIndex(r, lo) >= 0) expect(cursor).toBe(lo);
        for (const shift of shifts) {
          const [start, end] = [Date.parse(shift.start), Date.parse(shift.end)];
          expect(start).toBe(cursor); // no gap, no overlap
          expect(end).toBeGreaterThan(start);
          const { layer, member, covering } = shift;
          const entry = covering ? { layer, member, covering } : { layer, member };
          expect(onCallAt(s, new Date(start))).toEqual([entry]);
          expect(onCallAt(s, new Date(end - 1))).toEqual([entry]);
          if (start > lo && refIndex(r, start - 1) !== refIndex(r, start) && r.unit !== 'hours')
            expect(refWall(r.timeZone, start) % DAY).toBe(Date.parse(`${r.handoff}:00Z`) % DAY);
          cursor = end;
        }
        expect(cursor).toBe(hi);
      }),
      { numRuns: 200 },
    );
  });
});
