/** /api/v1/members (load, availability, the away flag) and /api/v1/teams/:id/oncall. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { onCallAt, shiftsBetween } from '../../core/schedule/index.js';
import { computeScheduleState } from '../../core/schedule-state.js';
import { Problem } from '../../http/problem.js';
import { problemResponses } from '../schemas.js';
import { drainQuietly, type TaskRouteDeps } from './tasks.js';

const Instant = Type.String({ format: 'date-time', description: 'RFC 3339, e.g. 2026-11-26T09:00:00Z' });
/** Longest window /oncall?from&to lists at once. */
const MAX_ONCALL_WINDOW_DAYS = 92;

export const rosterRoutes: FastifyPluginAsyncTypebox<TaskRouteDeps> = async (app, { store, config, drainer }) => {
  const tenantOf = (tenantId: string) => {
    const tenant = config.tenants.get(tenantId);
    if (!tenant) throw Problem.notFound('tenant-not-found', `Tenant ${tenantId} is not in the running config.`);
    return tenant;
  };

  app.get(
    '/members',
    {
      schema: {
        summary: 'Every member with open tasks, capacity and availability now',
        tags: ['members'],
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({}, { additionalProperties: true })) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const tenant = tenantOf(request.principal.tenantId);
      const snapshot = await store.readSnapshot(tenant.id);
      const schedule = computeScheduleState(tenant, new Date());
      const items = [...tenant.roster.members.values()].map((m) => ({
        id: m.id,
        name: m.name,
        openTasks: snapshot.load[m.id] ?? 0,
        capacity: m.capacity,
        capacityByType: m.capacityByType,
        skills: m.skills,
        timezone: m.timezone,
        away: snapshot.away[m.id] ?? false,
        onLeave: schedule.onLeave?.[m.id] ?? false,
        offHours: schedule.offHours?.[m.id] ?? false,
      }));
      return { items };
    },
  );

  app.post(
    '/members/:id/away',
    {
      schema: {
        summary: 'Set or clear a member’s away flag; coming back drains the backlog at once',
        tags: ['members'],
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({ away: Type.Boolean() }, { additionalProperties: false }),
        response: {
          200: Type.Object({ memberId: Type.String(), away: Type.Boolean(), changed: Type.Boolean() }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { tenantId, keyId } = request.principal;
      const tenant = tenantOf(tenantId);
      const memberId = request.params.id;
      if (!tenant.roster.members.has(memberId)) throw Problem.notFound('member-not-found', `No member ${memberId}.`);
      const { away } = request.body;
      const changed = await store.setAway({
        tenantId,
        memberId,
        away,
        actor: `apikey:${keyId}`,
        now: new Date().toISOString(),
      });
      if (changed && !away) await drainQuietly(drainer, tenantId, request.log);
      return { memberId, away, changed };
    },
  );

  app.get(
    '/teams/:id/oncall',
    {
      schema: {
        summary: 'Who is on call at an instant (?at=, default now), or every shift in a window (?from=&to=)',
        tags: ['teams'],
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({
          at: Type.Optional(Instant),
          from: Type.Optional(Instant),
          to: Type.Optional(Instant),
        }),
        response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = tenantOf(request.principal.tenantId);
      const team = tenant.roster.teams.get(request.params.id);
      if (!team) throw Problem.notFound('team-not-found', `No team ${request.params.id}.`);
      if (!team.onCall) throw Problem.unprocessable('no-oncall-schedule', `Team ${team.id} has no onCall schedule.`);
      const { at, from, to } = request.query;
      if (from !== undefined || to !== undefined) {
        if (from === undefined || to === undefined || at !== undefined) {
          throw Problem.badRequest('oncall-window', 'Give both from and to (and no at), or only at.');
        }
        const [start, end] = [new Date(from), new Date(to)];
        if (start >= end) throw Problem.badRequest('oncall-window', 'from must be before to.');
        if (end.getTime() - start.getTime() > MAX_ONCALL_WINDOW_DAYS * 86_400_000) {
          throw Problem.badRequest('oncall-window', `The window may span at most ${MAX_ONCALL_WINDOW_DAYS} days.`);
        }
        try {
          return {
            team: team.id,
            from: start.toISOString(),
            to: end.toISOString(),
            shifts: shiftsBetween(team.onCall, start, end),
          };
        } catch (e) {
          throw Problem.badRequest('oncall-window', (e as Error).message);
        }
      }
      const instant = at ? new Date(at) : new Date();
      return { team: team.id, at: instant.toISOString(), onCall: onCallAt(team.onCall, instant) };
    },
  );
};
