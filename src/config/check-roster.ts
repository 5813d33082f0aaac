/** Semantic checks of members and teams: references, time zones, hours, rotations. */
import { isKnownZone } from '../core/schedule/hours.js';
import { hoursProblems, leaveProblems, overrideProblems, rotationProblems } from '../core/schedule/index.js';
import type { MemberFile, TeamFile } from './schema.js';

export type Problem = [(string | number)[], string];

export function zoneProblem(zone: string | undefined): string | undefined {
  return zone === undefined || isKnownZone(zone)
    ? undefined
    : `unknown time zone "${zone}" (use an IANA name such as Europe/Paris)`;
}

export function checkMembers(members: MemberFile[]): Problem[] {
  const problems: Problem[] = [];
  members.forEach((m, i) => {
    const at = ['members', i];
    const zone = zoneProblem(m.timezone);
    if (zone) problems.push([[...at, 'timezone'], zone]);
    if (m.workingHours) for (const p of hoursProblems(m.workingHours)) problems.push([[...at, 'workingHours'], p]);
    m.leave?.forEach((l, j) => {
      for (const p of leaveProblems(l)) problems.push([[...at, 'leave', j], p]);
    });
  });
  return problems;
}

export function checkTeams(teams: TeamFile[], members: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const known = (id: string, path: (string | number)[]) => {
    if (!members.has(id)) problems.push([path, `unknown member "${id}"`]);
  };
  teams.forEach((team, i) => {
    const at = ['teams', i];
    team.members.forEach((m, j) => {
      known(m, [...at, 'members', j]);
    });
    const zone = zoneProblem(team.timezone);
    if (zone) problems.push([[...at, 'timezone'], zone]);
    if (team.businessHours)
      for (const p of hoursProblems(team.businessHours)) problems.push([[...at, 'businessHours'], p]);
    if (team.escalation !== undefined) known(team.escalation, [...at, 'escalation']);
    team.onCall?.layers.forEach((layer, j) => {
      const path = [...at, 'onCall', 'layers', j];
      layer.members.forEach((m, k) => {
        known(m, [...path, 'members', k]);
      });
      const timeZone = layer.timeZone ?? team.timezone ?? 'UTC';
      for (const p of rotationProblems({ ...layer, every: layer.every ?? 1, timeZone })) problems.push([path, p]);
    });
    team.onCall?.overrides?.forEach((o, j) => {
      const path = [...at, 'onCall', 'overrides', j];
      known(o.member, [...path, 'member']);
      known(o.covers, [...path, 'covers']);
      for (const p of overrideProblems(o)) problems.push([path, p]);
    });
  });
  return problems;
}
