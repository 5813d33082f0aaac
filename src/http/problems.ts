/**
 * The problem catalog: every problem `type` Switchyard answers with, declared once with its
 * status and title. The `type` on the wire is `urn:switchyard:problem:<slug>`; clients switch on
 * it, so a slug never changes once shipped. docs/problems.md describes each one, and
 * test/problems.catalog.test.ts keeps that table and this catalog equal. Raise them through the
 * constructors in ./problem.ts, which accept only slugs of this catalog (of the right status).
 */
export const PROBLEMS = {
  'malformed-json': { status: 400, title: 'Bad request' },
  'invalid-content-length': { status: 400, title: 'Bad request' },
  'validation-failed': { status: 400, title: 'Bad request' },
  'invalid-window': { status: 400, title: 'Bad request' },
  'invalid-cursor': { status: 400, title: 'Bad request' },
  'oncall-window': { status: 400, title: 'Bad request' },
  'bad-request': { status: 400, title: 'Bad request' },

  'missing-headers': { status: 401, title: 'Unauthorized' },
  'invalid-timestamp': { status: 401, title: 'Unauthorized' },
  'stale-timestamp': { status: 401, title: 'Unauthorized' },
  'future-timestamp': { status: 401, title: 'Unauthorized' },
  'bad-signature': { status: 401, title: 'Unauthorized' },
  'invalid-api-key': { status: 401, title: 'Unauthorized' },

  'missing-scope': { status: 403, title: 'Forbidden' },
  'self-approval': { status: 403, title: 'Forbidden' },

  'unknown-integration': { status: 404, title: 'Not found' },
  'task-not-found': { status: 404, title: 'Not found' },
  'decision-not-found': { status: 404, title: 'Not found' },
  'event-not-found': { status: 404, title: 'Not found' },
  'integration-not-found': { status: 404, title: 'Not found' },
  'secret-not-found': { status: 404, title: 'Not found' },
  'subscription-not-found': { status: 404, title: 'Not found' },
  'dead-letter-not-found': { status: 404, title: 'Not found' },
  'function-not-found': { status: 404, title: 'Not found' },
  'policy-version-not-found': { status: 404, title: 'Not found' },
  'tenant-not-found': { status: 404, title: 'Not found' },
  'member-not-found': { status: 404, title: 'Not found' },
  'team-not-found': { status: 404, title: 'Not found' },
  'route-not-found': { status: 404, title: 'Not found' },

  'task-state-conflict': { status: 409, title: 'Conflict' },
  'config-secret': { status: 409, title: 'Conflict' },
  'policy-version-not-approved': { status: 409, title: 'Conflict' },
  'policy-review-not-required': { status: 409, title: 'Conflict' },
  'event-retry-unsupported': { status: 409, title: 'Conflict' },

  'payload-too-large': { status: 413, title: 'Payload too large' },
  'function-source-too-large': { status: 413, title: 'Payload too large' },

  'uri-too-long': { status: 414, title: 'URI too long' },

  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },

  'invalid-policy': { status: 422, title: 'Unprocessable content' },
  'document-or-yaml': { status: 422, title: 'Unprocessable content' },
  'invalid-url': { status: 422, title: 'Unprocessable content' },
  'missing-dedupe-key': { status: 422, title: 'Unprocessable content' },
  'assignee-or-queue': { status: 422, title: 'Unprocessable content' },
  'unknown-member': { status: 422, title: 'Unprocessable content' },
  'no-oncall-schedule': { status: 422, title: 'Unprocessable content' },
  'invalid-function': { status: 422, title: 'Unprocessable content' },
  'invalid-fixtures': { status: 422, title: 'Unprocessable content' },
  'invalid-transform': { status: 422, title: 'Unprocessable content' },

  internal: { status: 500, title: 'Internal server error' },

  'store-unavailable': { status: 503, title: 'Service unavailable' },
  'secret-key-not-set': { status: 503, title: 'Service unavailable' },
  'secret-key-invalid': { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemSlug = keyof typeof PROBLEMS;

/** The slugs whose status is `S`: `Problem.conflict` takes only `SlugWithStatus<409>`. */
export type SlugWithStatus<S extends number> = {
  [K in ProblemSlug]: (typeof PROBLEMS)[K]['status'] extends S ? K : never;
}[ProblemSlug];

/** `stale_timestamp` → `stale-timestamp`, at the type level too. */
export type Dashed<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}-${Dashed<Tail>}` : S;

/**
 * The slug for a reason written with `_` (intake's verification failures, which are also the
 * `reason` label of `switchyard_events_rejected_total`). Passing the result to a constructor
 * makes the compiler check that every such reason is a catalog slug.
 */
export function dashed<S extends string>(reason: S): Dashed<S> {
  return reason.replaceAll('_', '-') as Dashed<S>;
}
