/**
 * The JSON schema of the config file (YAML), declared with TypeBox so the loader gets static
 * types from the same source. `when` conditions are checked by policy/validate-condition.ts,
 * which gives sharper messages than a recursive anyOf schema would.
 */
import { type Static, Type } from 'typebox';

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

export const IntegrationSchema = Type.Object(
  {
    id: Id,
    type: Type.Literal('generic'),
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
  },
  { additionalProperties: false },
);

export const MemberSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    capacity: Type.Integer({ minimum: 0, default: 10 }),
    skills: Type.Optional(Type.Array(Type.String())),
    timezone: Type.Optional(Type.String()),
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

export const TeamSchema = Type.Object(
  { id: Id, name: Type.Optional(Type.String()), members: Type.Array(Id, { minItems: 1 }) },
  { additionalProperties: false },
);

export const RouteSchema = Type.Object(
  {
    name: Id,
    when: Type.Optional(Type.Object({}, { additionalProperties: true })),
    // An enum rather than a union of literals: one error listing the allowed values, not three.
    strategy: Type.Unsafe<'direct' | 'round_robin' | 'least_loaded'>({
      type: 'string',
      enum: ['direct', 'round_robin', 'least_loaded'],
    }),
    teams: Type.Optional(Type.Array(Id)),
    members: Type.Optional(Type.Array(Id)),
    assignee: Type.Optional(Id),
    queueIfNoneEligible: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  { fallbackQueue: Id, routes: Type.Array(RouteSchema) },
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
