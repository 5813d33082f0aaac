/**
 * The canonical Task: the one shape every source is normalised into.
 * Pure data; the JSON schema beside it is what normalize validates against.
 */
import { type Static, Type } from 'typebox';

export const TaskSchema = Type.Object(
  {
    externalId: Type.String({ minLength: 1, maxLength: 200, description: 'The source system key, e.g. PROJ-123' }),
    title: Type.String({ minLength: 1, maxLength: 1000 }),
    type: Type.Optional(Type.String({ maxLength: 100, description: 'bug, incident, question, …' })),
    priority: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 5, description: '1 is the most urgent (P1), 5 the least' }),
    ),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
    component: Type.Optional(Type.String({ maxLength: 200 })),
    customerTier: Type.Optional(Type.String({ maxLength: 100 })),
    requestedAssignee: Type.Optional(Type.String({ maxLength: 200, description: 'A member id' })),
    dueAt: Type.Optional(Type.String({ format: 'date-time' })),
    reporter: Type.Optional(
      Type.String({ maxLength: 200, description: 'Who raised it at the source (login, account id, e-mail)' }),
    ),
    url: Type.Optional(Type.String({ maxLength: 2000, description: 'Where the task lives at the source' })),
    relatedTo: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 20,
        description: 'External ids of earlier or related tasks; the sticky strategy prefers their assignee',
      }),
    ),
  },
  { additionalProperties: false },
);

export type Task = Static<typeof TaskSchema>;

/** Task fields a `when` condition may name. */
export const TASK_FIELDS = [
  'externalId',
  'title',
  'type',
  'priority',
  'labels',
  'component',
  'customerTier',
  'requestedAssignee',
  'dueAt',
  'relatedTo',
  'reporter',
] as const satisfies readonly (keyof Task)[];
export type TaskField = (typeof TASK_FIELDS)[number];
