import type { Candidate, ExclusionReason } from '../decision.js';
import type { Roster, Snapshot } from '../policy.js';

/** Why a member may not take a task right now, or undefined when they may. */
export function exclusionOf(memberId: string, roster: Roster, snapshot: Snapshot): ExclusionReason | undefined {
  const member = roster.members.get(memberId);
  if (!member) return { code: 'unknown_member' };
  if (snapshot.away[memberId]) return { code: 'away' };
  const load = snapshot.load[memberId] ?? 0;
  if (load >= member.capacity) return { code: 'at_capacity', load, capacity: member.capacity };
  return undefined;
}

export function loadOf(memberId: string, snapshot: Snapshot): number {
  return snapshot.load[memberId] ?? 0;
}

export function excluded(memberId: string, reason: ExclusionReason): Candidate {
  return { memberId, excluded: reason };
}
