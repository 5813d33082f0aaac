/**
 * Policy analysis over the API: the structural diff of two versions, and the impact of a
 * version on recorded decisions (or on uploaded fixtures) before it is activated. Both read
 * only; simulation writes nothing at all (no decision, task, load, outbox row or audit entry).
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Type } from 'typebox';
import type { AppConfig } from '../../config/model.js';
import { buildRouting, type RoutingDocument } from '../../config/tenant.js';
import { type Snapshot, type Task, TaskSchema } from '../../core/index.js';
import type { FunctionHost } from '../../functions/function-host.js';
import { Problem } from '../../http/problem.js';
import { validateTaskShape } from '../../pipeline/task-shape.js';
import { diffRouting } from '../../policy/diff.js';
import { DEFAULT_LIMIT, type Fixture, MAX_LIMIT, simulateFixtures, simulateRecorded } from '../../policy/simulate.js';
import { parseWindow, WindowError } from '../../policy/simulate-input.js';
import type { PipelineWrites } from '../../store/pipeline-store.js';
import type { PolicyStore } from '../../store/policy-store.js';
import type { RecordedDecisionStore } from '../../store/recorded-decision-store.js';
import { problemResponses } from '../schemas.js';
import { resolveVersion } from './policy-views.js';

const Json = Type.Object({}, { additionalProperties: true });
/** Most fixtures one request may carry. */
const MAX_FIXTURES = 1_000;

const SimulateBody = Type.Object(
  {
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'Recorded decisions made at or after (RFC 3339)' }),
    ),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Recorded decisions made before (RFC 3339)' })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_LIMIT,
        default: DEFAULT_LIMIT,
        description: 'Most recorded decisions read',
      }),
    ),
    fixtures: Type.Optional(
      Type.Unknown({
        description:
          `Instead of recorded decisions: up to ${MAX_FIXTURES} \`{ task, snapshot?, now? }\`, each decided by the active ` +
          'version and this one. snapshot: the store state (load, away, turns …; default the live one); schedule ' +
          'state it lacks is computed for each version at `now` (default: the server clock).',
      }),
    ),
    changedOnly: Type.Optional(Type.Boolean({ description: 'List only changed events (totals still count all)' })),
  },
  { additionalProperties: false },
);

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const SnapshotSchema = Type.Object(
  {
    load: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
    loadByType: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer({ minimum: 0 })))),
    away: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    turns: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Integer()))),
    onCall: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Array(
          Type.Object({ layer: Type.String(), member: Type.String(), covering: Type.Optional(Type.String()) }),
        ),
      ),
    ),
    onLeave: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    offHours: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    teamOpen: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    clocks: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          { weekday: Type.String(), minutes: Type.Integer(), date: Type.String() },
          { additionalProperties: false },
        ),
      ),
    ),
    related: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
const FixtureSchema = Type.Object(
  {
    task: TaskSchema,
    snapshot: Type.Optional(SnapshotSchema),
    now: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const validateFixture = ajv.compile<{ task: Task; snapshot?: Partial<Snapshot>; now?: string }>(FixtureSchema);

/** Fixtures as sent → validated fixtures, or a 422 naming the first bad one and what is wrong with it. */
export function checkFixtures(raw: unknown): Fixture[] {
  if (!Array.isArray(raw))
    throw Problem.unprocessable('invalid-fixtures', '`fixtures` must be an array of { task, snapshot?, now? }.');
  if (raw.length === 0 || raw.length > MAX_FIXTURES) {
    throw Problem.unprocessable('invalid-fixtures', `Send between 1 and ${MAX_FIXTURES} fixtures (got ${raw.length}).`);
  }
  return raw.map((f, i) => {
    if (!validateFixture(f)) {
      const problems = (validateFixture.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw Problem.unprocessable(
        'invalid-fixtures',
        `fixtures[${i}] is not { task, snapshot?, now? }: ${problems.join('; ')}`,
        {
          index: i,
        },
      );
    }
    const task = validateTaskShape(f.task);
    if (!task.ok) throw Problem.unprocessable('invalid-fixtures', `fixtures[${i}].task: ${task.reason}`, { index: i });
    return { task: task.task, ...(f.snapshot ? { snapshot: f.snapshot } : {}), ...(f.now ? { now: f.now } : {}) };
  });
}

export const policyAnalysisRoutes: FastifyPluginAsyncTypebox<{
  store: PolicyStore & RecordedDecisionStore & PipelineWrites;
  config: AppConfig;
  clock: () => Date;
  /** Runs the candidate's sandboxed functions during simulation. */
  functions?: FunctionHost;
}> = async (app, { store, config, clock, functions }) => {
  app.get(
    '/policies/versions/:v/diff/:other',
    {
      schema: {
        summary: 'What changed from one policy version to another: routes, fallback queue, members, teams',
        description:
          'Routes added, removed, reordered (old → new 0-based index) and changed field by field (`from`/`to`; an ' +
          'absent side means unset); members and teams added, removed and changed. Either side is a pv_… id, a ' +
          'version number or `active`; 404 `policy-version-not-found` otherwise.',
        tags: ['policies'],
        params: Type.Object({ v: Type.String(), other: Type.String() }),
        response: { 200: Json, ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const a = await resolveVersion(store, tenantId, request.params.v);
      const b = await resolveVersion(store, tenantId, request.params.other);
      return diffRouting(a.document as RoutingDocument, b.document as RoutingDocument, { from: a.id, to: b.id });
    },
  );

  app.post(
    '/policies/versions/:v/simulate',
    {
      schema: {
        summary:
          'What this version would have decided for recorded events (or fixtures), compared with what was decided',
        description:
          'Re-runs the pure decide path with this version on each recorded automatic decision’s own task, store ' +
          'state and time, in [from, to), oldest first, at most `limit`. Per event: before and after, changed or ' +
          'not and why; totals, assignments per member before/after, tasks that would become unassigned, skipped ' +
          'decisions (no stored task). Each event keeps the loads it saw: knock-on effects of earlier changes are ' +
          'not modelled. Writes nothing. 400 on a bad window, 422 `invalid-fixtures`.',
        tags: ['policies'],
        params: Type.Object({ v: Type.String() }),
        body: SimulateBody,
        response: { 200: Json, ...problemResponses },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const body = request.body;
      const version = await resolveVersion(store, tenantId, request.params.v);
      const candidate = buildRouting(version.document as RoutingDocument);
      if (body.fixtures !== undefined) {
        const fixtures = checkFixtures(body.fixtures);
        const active = config.tenants.get(tenantId);
        return simulateFixtures(fixtures, {
          ...(functions ? { functions } : {}),
          tenantId,
          active: active ?? null,
          candidate,
          now: clock,
          changedOnly: body.changedOnly ?? false,
          storeState: async (task) => {
            const stored = await store.readSnapshot(tenantId);
            const related = task.relatedTo?.length ? await store.assigneesOf(tenantId, task.relatedTo) : {};
            return Object.keys(related).length ? { ...stored, related } : stored;
          },
        });
      }
      let window: { from?: string; to?: string };
      try {
        window = parseWindow(body.from, body.to);
      } catch (e) {
        if (e instanceof WindowError) throw Problem.badRequest('invalid-window', e.message);
        throw e;
      }
      return simulateRecorded(store, {
        ...(functions ? { functions } : {}),
        tenantId,
        candidate,
        ...window,
        limit: body.limit ?? DEFAULT_LIMIT,
        changedOnly: body.changedOnly ?? false,
      });
    },
  );
};
