/**
 * The JSON schema of the config file (YAML), declared with TypeBox so the loader gets static
 * types from the same source. `when` conditions are checked by config/validate-condition.ts,
 * which gives sharper messages than a recursive anyOf schema would.
 */
import { type Static, Type } from 'typebox';
import { INTEGRATION_TYPES, type IntegrationType } from './model.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase letters, digits, - and _' });

export const SecretSchema = Type.Union(
  [
    Type.String({ minLength: 1 }),
    Type.Object(
      {
        value: Type.String({ minLength: 1 }),
        expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a whsec_… string, or { value, expiresAt }' },
);

/** A custom function pinned to one version: `name@version`. */
export const FUNCTION_REF_PATTERN = '^[a-z][a-z0-9-]{0,62}@[1-9][0-9]{0,8}$';
const FunctionRefString = Type.String({
  pattern: FUNCTION_REF_PATTERN,
  description: 'a custom function: name@version',
});

export const IntegrationSchema = Type.Object(
  {
    id: Id,
    // From the source registry: one error listing the types, not one per type.
    type: Type.Unsafe<IntegrationType>({ type: 'string', enum: [...INTEGRATION_TYPES] }),
    secrets: Type.Array(SecretSchema, {
      minItems: 1,
      description: 'All are accepted: list a new one before removing the old',
    }),
    dedupe: Type.Optional(
      Type.Object(
        { path: Type.String({ minLength: 1, description: 'dot path into the payload, e.g. data.id' }) },
        { additionalProperties: false },
      ),
    ),
    transform: Type.Optional(Type.String({ minLength: 1, description: 'JSONata: payload → Task' })),
    transformFunction: Type.Optional(FunctionRefString),
    // Names and ids are checked in tenant.ts, which can say which names are allowed.
    fields: Type.Optional(
      Type.Record(Type.String(), Type.String({ minLength: 1 }), {
        description: 'jira: Task field → Jira field id, e.g. { customerTier: customfield_10042, dueAt: duedate }',
      }),
    ),
  },
  { additionalProperties: false },
);

const Weekday = Type.Unsafe<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>({
  type: 'string',
  enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
});
const Clock = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:mm local time' });
const LocalDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' });
const Moment = Type.String({ description: 'YYYY-MM-DD (a whole local day) or an RFC 3339 instant' });
const Zone = Type.String({ minLength: 1, description: 'IANA time zone, e.g. Europe/Paris' });

const WeeklyHoursFields = {
  days: Type.Array(Weekday, { minItems: 1 }),
  start: Clock,
  end: Clock,
};

export const MemberSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    capacity: Type.Integer({ minimum: 0, default: 10 }),
    capacityByType: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
    skills: Type.Optional(
      Type.Union(
        [
          Type.Array(Type.String({ minLength: 1 })),
          Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 5 })),
        ],
        {
          description: 'a list of skills (level 3 each), or { skill: level 1–5 }',
        },
      ),
    ),
    timezone: Type.Optional(Zone),
    workingHours: Type.Optional(Type.Object(WeeklyHoursFields, { additionalProperties: false })),
    leave: Type.Optional(Type.Array(Type.Object({ from: Moment, to: Moment }, { additionalProperties: false }))),
    handles: Type.Optional(
      Type.Object(
        {
          slack: Type.Optional(Type.String()),
          jira: Type.Optional(Type.String()),
          github: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const RotationSchema = Type.Object(
  {
    name: Id,
    members: Type.Array(Id, { minItems: 1 }),
    every: Type.Integer({ minimum: 1, default: 1 }),
    unit: Type.Unsafe<'hours' | 'days' | 'weeks'>({ type: 'string', enum: ['hours', 'days', 'weeks'] }),
    handoff: Type.String({
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$',
      description: 'local YYYY-MM-DDTHH:mm of the first hand-off',
    }),
    timeZone: Type.Optional(Zone),
  },
  { additionalProperties: false },
);

export const TeamSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    members: Type.Array(Id, { minItems: 1 }),
    timezone: Type.Optional(Zone),
    businessHours: Type.Optional(
      Type.Object(
        { ...WeeklyHoursFields, holidays: Type.Optional(Type.Array(LocalDate)) },
        { additionalProperties: false },
      ),
    ),
    onCall: Type.Optional(
      Type.Object(
        {
          layers: Type.Array(RotationSchema, { minItems: 1 }),
          overrides: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  member: Id,
                  covers: Id,
                  from: Type.String({ format: 'date-time' }),
                  to: Type.String({ format: 'date-time' }),
                },
                { additionalProperties: false },
              ),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    escalation: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const STRATEGY_NAMES = [
  'direct',
  'round_robin',
  'least_loaded',
  'skills',
  'on_call',
  'sticky',
  'function',
] as const;

export const RouteSchema = Type.Object(
  {
    name: Id,
    when: Type.Optional(Type.Object({}, { additionalProperties: true })),
    // An enum rather than a union of literals: one error listing the allowed values, not six.
    strategy: Type.Unsafe<(typeof STRATEGY_NAMES)[number]>({ type: 'string', enum: [...STRATEGY_NAMES] }),
    teams: Type.Optional(Type.Array(Id)),
    members: Type.Optional(Type.Array(Id)),
    assignee: Type.Optional(Id),
    skills: Type.Optional(
      Type.Object(
        {
          required: Type.Optional(Type.Array(Type.String())),
          preferred: Type.Optional(Type.Array(Type.String())),
          minLevel: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
          weights: Type.Optional(
            Type.Object(
              {
                level: Type.Optional(Type.Number({ minimum: 0 })),
                preferred: Type.Optional(Type.Number({ minimum: 0 })),
                load: Type.Optional(Type.Number({ minimum: 0 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    during: Type.Optional(
      Type.Unsafe<'business_hours' | 'outside_business_hours'>({
        type: 'string',
        enum: ['business_hours', 'outside_business_hours'],
      }),
    ),
    hoursTeam: Type.Optional(Id),
    requireSkills: Type.Optional(Type.Array(Type.String())),
    excludeOffHours: Type.Optional(Type.Boolean()),
    ignoreCapacity: Type.Optional(Type.Boolean()),
    boost: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    queueIfNoneEligible: Type.Optional(Id),
    escalateTo: Type.Optional(Id),
    match: Type.Optional(FunctionRefString),
    function: Type.Optional(FunctionRefString),
    score: Type.Optional(FunctionRefString),
    onFunctionError: Type.Optional(
      Type.Union([
        Type.Unsafe<'next_route' | 'config'>({ type: 'string', enum: ['next_route', 'config'] }),
        Type.Object({ queue: Id }, { additionalProperties: false }),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  { fallbackQueue: Id, routes: Type.Array(RouteSchema) },
  { additionalProperties: false },
);

const HttpUrl = Type.String({ minLength: 1, description: 'an http(s) URL' });
const Token = Type.String({ minLength: 1, description: 'a secret, usually an env:NAME reference; never logged' });

/** Where decisions are announced besides subscribers: Slack, and back to Jira and GitHub. */
export const NotifySchema = Type.Object(
  {
    slack: Type.Optional(
      Type.Object(
        {
          botToken: Token,
          channel: Type.Optional(Type.String({ minLength: 1, description: 'when the assignee has no Slack handle' })),
          apiUrl: Type.Optional(HttpUrl),
        },
        { additionalProperties: false },
      ),
    ),
    jira: Type.Optional(
      Type.Object(
        { siteUrl: HttpUrl, email: Type.String({ minLength: 1 }), apiToken: Token },
        { additionalProperties: false },
      ),
    ),
    github: Type.Optional(
      Type.Object({ token: Token, apiUrl: Type.Optional(HttpUrl) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export const TenantSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    integrations: Type.Array(IntegrationSchema),
    members: Type.Array(MemberSchema),
    teams: Type.Optional(Type.Array(TeamSchema)),
    policy: PolicySchema,
    notify: Type.Optional(NotifySchema),
    policyReview: Type.Optional(
      Type.Object(
        {
          required: Type.Boolean({
            description:
              'new policy versions wait (pending) until a key with scope policy:approve, not the author, approves them',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  { tenants: Type.Array(TenantSchema, { minItems: 1 }) },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigSchema>;
export type TenantFile = Static<typeof TenantSchema>;
export type IntegrationFile = Static<typeof IntegrationSchema>;
export type RouteFile = Static<typeof RouteSchema>;
export type MemberFile = Static<typeof MemberSchema>;
export type TeamFile = Static<typeof TeamSchema>;
export type NotifyFile = Static<typeof NotifySchema>;
