/** Members and rosters for tests of the pure core: every field a Member needs, with defaults. */
import type { Member, Roster, Team } from '../../src/core/index.js';

/** A member named after its id in capitals, capacity 3, no skills, UTC, never on leave; `over` replaces any of it. */
export function member(id: string, over: Partial<Omit<Member, 'id'>> = {}): Member {
  return {
    id,
    name: id.toUpperCase(),
    capacity: 3,
    capacityByType: {},
    skills: {},
    timezone: 'UTC',
    leave: [],
    handles: {},
    ...over,
  };
}

/** A roster of these members and teams, keyed by id. */
export function rosterOf(members: Member[], teams: Team[] = []): Roster {
  return { members: new Map(members.map((m) => [m.id, m])), teams: new Map(teams.map((t) => [t.id, t])) };
}
