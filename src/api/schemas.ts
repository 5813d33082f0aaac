/** Response and request shapes of /api/v1, shared by validation, serialisation and OpenAPI. */
import { Type } from 'typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Object({}, { additionalProperties: true });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
  },
  { additionalProperties: true },
);

export const CandidateSchema = Type.Object(
  {
    memberId: Type.String(),
    score: Type.Optional(Type.Number()),
    excluded: Type.Optional(Json),
  },
  { additionalProperties: false },
);

export const DecisionSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String({ description: 'auto (made by the policy) or override (made by a person)' }),
    eventId: Nullable(Type.String()),
    outcome: Type.String({ description: 'assigned or queued' }),
    assignee: Nullable(Type.String()),
    queue: Nullable(Type.String()),
    route: Nullable(Type.String()),
    strategy: Nullable(Type.String()),
    policyVersion: Type.String(),
    inputHash: Type.String(),
    explanation: Type.String(),
    candidates: Type.Array(CandidateSchema),
    routesTried: Type.Array(Json),
    functions: Type.Array(Json),
    supersedesId: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    actor: Nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const TaskSchemaView = Type.Object(
  {
    id: Type.String(),
    externalId: Type.String(),
    integration: Type.String(),
    title: Type.String(),
    status: Type.String({ description: 'assigned or queued' }),
    assignee: Nullable(Type.String()),
    queue: Nullable(Type.String()),
    priority: Type.Union([Type.Integer(), Type.Null()]),
    task: Json,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    decision: Type.Optional(DecisionSchema),
  },
  { additionalProperties: false },
);

export const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    decisionId: Type.String(),
    topic: Type.String(),
    target: Type.String(),
    idempotencyKey: Type.String(),
    status: Type.String({ description: 'pending, delivered or dead' }),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    nextAttemptAt: Type.String({ format: 'date-time' }),
    deliveredAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const TaskDetailSchema = Type.Object(
  {
    ...TaskSchemaView.properties,
    decisions: Type.Array(DecisionSchema, { description: 'Every decision on this task, oldest first' }),
    deliveries: Type.Array(DeliverySchema, {
      description: 'The side effects its decisions owe (notifications, write-backs, webhooks), with their attempts',
    }),
  },
  { additionalProperties: false },
);

export const DeadLetterSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String({ description: 'event (could not be routed) or delivery (could not be sent)' }),
    refId: Type.String(),
    reason: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const EventSchema = Type.Object(
  {
    id: Type.String(),
    integration: Type.String(),
    dedupeKey: Type.String(),
    receivedAt: Type.String({ format: 'date-time' }),
    status: Type.String({ description: 'pending, processing, decided, merged or dead' }),
    attempts: Type.Integer(),
    duplicates: Type.Integer(),
    taskId: Nullable(Type.String()),
    decisionId: Nullable(Type.String()),
    error: Nullable(Type.String()),
    processedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  after: Type.Optional(Type.String({ description: 'The `next` value of the previous page' })),
};

export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  422: ProblemSchema,
};
