/**
 * Local-time questions: business hours, overnight windows, local clocks and leave. Every
 * expected value is computed by hand from the tz rules and written literally (never with Luxon):
 *   Europe/London     GMT = UTC+0, BST = UTC+1; summer time 2026-03-29 01:00Z → 2026-10-25 01:00Z.
 *   America/New_York  EST = UTC−5, EDT = UTC−4; summer time 2026-03-08 07:00Z → 2026-11-01 06:00Z.
 *   Asia/Tokyo        JST = UTC+9 all year.  America/Los_Angeles  PST = UTC−8, PDT = UTC−7.
 * Weekdays: 2026-01-09 and 2026-03-06 are Fridays, 2026-03-02/09/30 Mondays, 2026-12-24 a Thursday.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BusinessHours,
  hoursProblems,
  isBusinessOpen,
  isOnLeave,
  isWithinHours,
  localClock,
  type Weekday,
  type WeeklyHours,
} from '../../src/core/schedule/index.js';

const at = (iso: string) => new Date(iso);
const OFFICE: BusinessHours = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  holidays: ['2026-04-03'],
};

describe('business hours Mon–Fri 09:00–17:00', () => {
  it.each([
    ['Europe/London', '2026-03-27T08:59:59Z', false, 'Fri 08:59:59 GMT'],
    ['Europe/London', '2026-03-27T09:00:00Z', true, 'Fri 09:00 GMT: start is inclusive'],
    ['Europe/London', '2026-03-27T16:59:59Z', true, 'Fri 16:59:59 GMT'],
    ['Europe/London', '2026-03-27T17:00:00Z', false, 'Fri 17:00 GMT: end is exclusive'],
    ['Europe/London', '2026-03-28T12:00:00Z', false, 'Saturday'],
    ['Europe/London', '2026-03-30T07:59:59Z', false, 'Mon 08:59:59 BST, after the change'],
    ['Europe/London', '2026-03-30T08:00:00Z', true, 'Mon 09:00 BST = 08:00Z'],
    ['Europe/London', '2026-03-30T15:59:59Z', true, 'Mon 16:59:59 BST'],
    ['Europe/London', '2026-03-30T16:00:00Z', false, 'Mon 17:00 BST = 16:00Z'],
    ['America/New_York', '2026-03-02T13:59:59Z', false, 'Mon 08:59:59 EST'],
    ['America/New_York', '2026-03-02T14:00:00Z', true, 'Mon 09:00 EST = 14:00Z'],
    ['America/New_York', '2026-03-02T21:59:59Z', true, 'Mon 16:59:59 EST'],
    ['America/New_York', '2026-03-02T22:00:00Z', false, 'Mon 17:00 EST'],
    ['America/New_York', '2026-03-09T12:59:59Z', false, 'Mon 08:59:59 EDT, after the change'],
    ['America/New_York', '2026-03-09T13:00:00Z', true, 'Mon 09:00 EDT = 13:00Z'],
    ['America/New_York', '2026-03-09T20:59:59Z', true, 'Mon 16:59:59 EDT'],
    ['America/New_York', '2026-03-09T21:00:00Z', false, 'Mon 17:00 EDT'],
    ['America/New_York', '2026-03-10T01:00:00Z', false, 'Tuesday in UTC, Mon 21:00 EDT'],
    ['Asia/Tokyo', '2026-03-01T23:59:59Z', false, 'Mon 08:59:59 JST (still Sunday in UTC)'],
    ['Asia/Tokyo', '2026-03-02T00:00:00Z', true, 'Mon 09:00 JST'],
    ['Asia/Tokyo', '2026-03-06T08:00:00Z', false, 'Fri 17:00 JST'],
  ])('%s at %s → %s (%s)', (zone, iso, open) => {
    expect(isWithinHours(OFFICE, zone, at(iso))).toBe(open);
    expect(isBusinessOpen(OFFICE, zone, at(iso))).toBe(open);
  });

  it('is closed on a holiday, whose date is local', () => {
    expect(isWithinHours(OFFICE, 'Europe/London', at('2026-04-03T10:00:00Z'))).toBe(true); // Good Friday 11:00 BST
    expect(isBusinessOpen(OFFICE, 'Europe/London', at('2026-04-03T10:00:00Z'))).toBe(false);
    expect(isBusinessOpen(OFFICE, 'Europe/London', at('2026-04-02T10:00:00Z'))).toBe(true); // Thursday
    // 2026-04-03T00:30Z is already Friday 09:30 JST in Tokyo, but Thursday 20:30 EDT in New York.
    const tokyo = { ...OFFICE, holidays: ['2026-04-03'] };
    expect(isBusinessOpen(tokyo, 'Asia/Tokyo', at('2026-04-03T00:30:00Z'))).toBe(false);
    expect(isBusinessOpen(tokyo, 'Asia/Tokyo', at('2026-04-02T00:30:00Z'))).toBe(true); // Thu 09:30 JST
  });
});

describe('overnight and whole-day windows (Europe/London in January: GMT = UTC)', () => {
  const FRIDAY_NIGHT: WeeklyHours = { days: ['fri'], start: '22:00', end: '06:00' };
  it.each([
    ['2026-01-09T21:59:59Z', false, 'Fri 21:59:59'],
    ['2026-01-09T22:00:00Z', true, 'Fri 22:00: start is inclusive'],
    ['2026-01-09T23:59:59Z', true, 'Fri 23:59:59'],
    ['2026-01-10T00:00:00Z', true, 'Sat 00:00: the tail of Friday night'],
    ['2026-01-10T03:00:00Z', true, 'Sat 03:00'],
    ['2026-01-10T05:59:59Z', true, 'Sat 05:59:59'],
    ['2026-01-10T06:00:00Z', false, 'Sat 06:00: end is exclusive'],
    ['2026-01-10T22:00:00Z', false, 'Sat 22:00: Saturday is not listed'],
    ['2026-01-12T03:00:00Z', false, 'Mon 03:00 belongs to Sunday, which is not listed'],
    ['2026-01-09T03:00:00Z', false, 'Fri 03:00 belongs to Thursday night'],
  ])('fri 22:00–06:00 at %s → %s (%s)', (iso, open) => {
    expect(isWithinHours(FRIDAY_NIGHT, 'Europe/London', at(iso))).toBe(open);
  });

  it('the tail after midnight belongs to the day the window started on', () => {
    const withSunday = { ...FRIDAY_NIGHT, days: ['fri', 'sun'] as Weekday[] };
    expect(isWithinHours(withSunday, 'Europe/London', at('2026-01-12T03:00:00Z'))).toBe(true); // Mon 03:00
    const fridayHoliday = { ...FRIDAY_NIGHT, holidays: ['2026-01-09'] };
    expect(isBusinessOpen(fridayHoliday, 'Europe/London', at('2026-01-10T03:00:00Z'))).toBe(false);
    const saturdayHoliday = { ...FRIDAY_NIGHT, holidays: ['2026-01-10'] };
    expect(isBusinessOpen(saturdayHoliday, 'Europe/London', at('2026-01-10T03:00:00Z'))).toBe(true);
    // start = end: 24 hours from the start on each listed day.
    const allDay = { days: ['fri'] as Weekday[], start: '09:00', end: '09:00' };
    expect(isWithinHours(allDay, 'Europe/London', at('2026-01-10T08:59:59Z'))).toBe(true); // Sat 08:59:59
    expect(isWithinHours(allDay, 'Europe/London', at('2026-01-10T09:00:00Z'))).toBe(false);
  });

  it("'24:00' is the end of the day", () => {
    const evening = { days: ['mon'] as Weekday[], start: '18:00', end: '24:00' };
    expect(isWithinHours(evening, 'Europe/London', at('2026-01-12T17:59:59Z'))).toBe(false);
    expect(isWithinHours(evening, 'Europe/London', at('2026-01-12T18:00:00Z'))).toBe(true);
    expect(isWithinHours(evening, 'Europe/London', at('2026-01-12T23:59:59.999Z'))).toBe(true);
    expect(isWithinHours(evening, 'Europe/London', at('2026-01-13T00:00:00Z'))).toBe(false); // Tue 00:00
    const saturday = { days: ['sat'] as Weekday[], start: '00:00', end: '24:00' };
    expect(isWithinHours(saturday, 'Europe/London', at('2026-01-09T23:59:59Z'))).toBe(false); // Fri
    expect(isWithinHours(saturday, 'Europe/London', at('2026-01-10T00:00:00Z'))).toBe(true);
    expect(isWithinHours(saturday, 'Europe/London', at('2026-01-10T23:59:59.999Z'))).toBe(true);
    expect(isWithinHours(saturday, 'Europe/London', at('2026-01-11T00:00:00Z'))).toBe(false); // Sun
    // In Tokyo the same Saturday is 2026-01-09T15:00Z → 2026-01-10T15:00Z.
    expect(isWithinHours(saturday, 'Asia/Tokyo', at('2026-01-09T15:00:00Z'))).toBe(true);
    expect(isWithinHours(saturday, 'Asia/Tokyo', at('2026-01-10T15:00:00Z'))).toBe(false);
  });
});

describe('localClock', () => {
  it.each([
    ['Asia/Tokyo', '2026-12-23T14:59:59Z', 'wed', 1439, '2026-12-23', '23:59:59 JST'],
    ['Asia/Tokyo', '2026-12-23T15:00:00Z', 'thu', 0, '2026-12-24', '00:00 JST, while UTC is still Wednesday'],
    ['America/Los_Angeles', '2026-12-24T00:30:00Z', 'wed', 990, '2026-12-23', '16:30 PST, while UTC is Thursday'],
    ['America/Los_Angeles', '2026-12-24T07:59:59Z', 'wed', 1439, '2026-12-23', '23:59:59 PST'],
    ['America/Los_Angeles', '2026-12-24T08:00:00Z', 'thu', 0, '2026-12-24', '00:00 PST'],
    ['America/Los_Angeles', '2027-01-01T07:59:00Z', 'thu', 1439, '2026-12-31', '23:59 PST on New Year’s Eve'],
    ['America/Los_Angeles', '2026-07-01T06:59:00Z', 'tue', 1439, '2026-06-30', '23:59 PDT (UTC−7 in summer)'],
    ['America/New_York', '2026-03-08T06:59:59Z', 'sun', 119, '2026-03-08', '01:59:59 EST, just before the change'],
    ['America/New_York', '2026-03-08T07:00:00Z', 'sun', 180, '2026-03-08', '03:00 EDT: 02:xx never happens'],
  ])('%s at %s → %s %i %s (%s)', (zone, iso, weekday, minutes, date) => {
    expect(localClock(zone, at(iso))).toEqual({ weekday, minutes, date });
  });

  it('rejects an unknown zone', () => {
    expect(() => localClock('Mars/Olympus', at('2026-01-01T00:00:00Z'))).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('isOnLeave', () => {
  const CHRISTMAS = [{ from: '2026-12-24', to: '2026-12-26' }];
  it.each([
    ['Asia/Tokyo', '2026-12-23T14:59:59Z', false, '23:59:59 JST on the 23rd'],
    ['Asia/Tokyo', '2026-12-23T15:00:00Z', true, '00:00 JST on the 24th'],
    ['Asia/Tokyo', '2026-12-26T14:59:59Z', true, '23:59:59 JST on the 26th: `to` is inclusive'],
    ['Asia/Tokyo', '2026-12-26T15:00:00Z', false, '00:00 JST on the 27th'],
    ['America/Los_Angeles', '2026-12-23T15:00:00Z', false, 'the same instant is 07:00 PST on the 23rd'],
    ['America/Los_Angeles', '2026-12-24T07:59:59Z', false, '23:59:59 PST on the 23rd'],
    ['America/Los_Angeles', '2026-12-24T08:00:00Z', true, '00:00 PST on the 24th'],
    ['America/Los_Angeles', '2026-12-26T15:00:00Z', true, '07:00 PST on the 26th (already the 27th in Tokyo)'],
    ['America/Los_Angeles', '2026-12-27T07:59:59Z', true, '23:59:59 PST on the 26th'],
    ['America/Los_Angeles', '2026-12-27T08:00:00Z', false, '00:00 PST on the 27th'],
  ])('local dates 2026-12-24..26 in %s at %s → %s (%s)', (zone, iso, away) => {
    expect(isOnLeave(CHRISTMAS, zone, at(iso))).toBe(away);
  });

  it('reads RFC 3339 bounds as exact instants, [from, to), whatever the zone', () => {
    const leave = [{ from: '2026-12-24T09:00:00+09:00', to: '2026-12-26T18:00:00Z' }]; // from = 2026-12-24T00:00Z
    for (const zone of ['Asia/Tokyo', 'America/Los_Angeles']) {
      expect(isOnLeave(leave, zone, at('2026-12-23T23:59:59Z'))).toBe(false);
      expect(isOnLeave(leave, zone, at('2026-12-24T00:00:00Z'))).toBe(true);
      expect(isOnLeave(leave, zone, at('2026-12-26T17:59:59Z'))).toBe(true);
      expect(isOnLeave(leave, zone, at('2026-12-26T18:00:00Z'))).toBe(false);
    }
    // Mixed: from a local date (Tokyo midnight = 2026-12-23T15:00Z) to an instant.
    const mixed = [{ from: '2026-12-24', to: '2026-12-25T12:00:00Z' }];
    expect(isOnLeave(mixed, 'Asia/Tokyo', at('2026-12-23T14:59:59Z'))).toBe(false);
    expect(isOnLeave(mixed, 'Asia/Tokyo', at('2026-12-23T15:00:00Z'))).toBe(true);
    expect(isOnLeave(mixed, 'Asia/Tokyo', at('2026-12-25T12:00:00Z'))).toBe(false);
    expect(isOnLeave([], 'Asia/Tokyo', at('2026-12-25T00:00:00Z'))).toBe(false);
    expect(isOnLeave([...mixed, ...CHRISTMAS], 'Asia/Tokyo', at('2026-12-26T00:00:00Z'))).toBe(true); // second period
    expect(() =>
      isOnLeave([{ from: '2026-12-24T09:00', to: '2026-12-26' }], 'UTC', at('2026-12-25T00:00:00Z')),
    ).toThrow(/invalid leave: from must be a local date/);
  });
});

describe('hoursProblems', () => {
  it('accepts good hours and explains each problem', () => {
    expect(hoursProblems(OFFICE)).toEqual([]);
    expect(hoursProblems({ days: ['sat'], start: '00:00', end: '24:00' })).toEqual([]);
    expect(hoursProblems({ days: [], start: '9:00', end: '24:01' })).toEqual([
      'days must list at least one weekday',
      'start must be a local time HH:mm from 00:00 to 23:59 (got "9:00")',
      'end must be a local time HH:mm from 00:00 to 24:00 (got "24:01")',
    ]);
    const bad = {
      days: ['mon', 'monday', 'mon'],
      start: '24:00',
      end: '17:60',
      holidays: ['2026-02-29', '2026-04-03'],
    };
    expect(hoursProblems(bad as unknown as BusinessHours)).toEqual([
      'days: "monday" is not one of mon, tue, wed, thu, fri, sat, sun',
      'days: mon is listed twice',
      'start must be a local time HH:mm from 00:00 to 23:59 (got "24:00")',
      'end must be a local time HH:mm from 00:00 to 24:00 (got "17:60")',
      'holidays: "2026-02-29" is not a local date YYYY-MM-DD',
    ]);
    expect(() => isWithinHours({ days: [], start: '09:00', end: '17:00' }, 'UTC', at('2026-01-01T10:00:00Z'))).toThrow(
      /invalid hours: days must list/,
    );
  });
});

// ---------- properties ----------

const ZONES = [
  'Europe/London',
  'America/New_York',
  'Asia/Tokyo',
  'America/Los_Angeles',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
];
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const instantArb = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms));
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

describe('properties', () => {
  it('localClock agrees with Intl.DateTimeFormat', () => {
    const formats = new Map<string, Intl.DateTimeFormat>();
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instantArb, (zone, date) => {
        const opts = {
          weekday: 'short',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
        } as const;
        const f = formats.get(zone) ?? new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', ...opts });
        formats.set(zone, f);
        const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, x.value]));
        expect(localClock(zone, date)).toEqual({
          weekday: p.weekday!.toLowerCase(),
          minutes: Number(p.hour) * 60 + Number(p.minute),
          date: `${p.year}-${p.month}-${p.day}`,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('an overnight window is its evening on the listed days plus its morning on the days after', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }),
        hhmm,
        hhmm,
        fc.constantFrom(...ZONES),
        instantArb,
        (days, a, b, zone, date) => {
          const [start, end] = a >= b ? [a, b] : [b, a]; // end ≤ start
          const next = days.map((d) => WEEKDAYS[(WEEKDAYS.indexOf(d) + 1) % 7]!);
          const evening = isWithinHours({ days, start, end: '24:00' }, zone, date);
          const morning = end !== '00:00' && isWithinHours({ days: next, start: '00:00', end }, zone, date);
          expect(isWithinHours({ days, start, end }, zone, date)).toBe(evening || morning);
        },
      ),
      { numRuns: 500 },
    );
  });
});
