import type { FastifyError, FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, Problem } from './problem.js';

/** Fastify's own 4xx errors (raised before a handler runs) mapped onto stable problem types. */
const FASTIFY_PROBLEMS: Record<string, (e: FastifyError) => Problem> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    Problem.payloadTooLarge('payload-too-large', 'The request body exceeds the 1 MiB limit.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) =>
    Problem.unsupportedMediaType('unsupported-media-type', `${e.message}. Send the body as application/json.`),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    Problem.badRequest('invalid-content-length', 'Content-Length does not match the body.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    Problem.badRequest('malformed-json', 'The body is empty; a JSON document was expected.'),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) =>
    Problem.badRequest('malformed-json', `The body is not valid JSON: ${e.message}`),
};

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem: Problem;
    if (error instanceof Problem) problem = error;
    else if (error.validation) {
      problem = Problem.badRequest('validation-failed', `${error.validationContext ?? 'request'} ${error.message}`, {
        errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    } else if (error.code && FASTIFY_PROBLEMS[error.code])
      problem = (FASTIFY_PROBLEMS[error.code] as (e: FastifyError) => Problem)(error);
    else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      problem = Problem.otherClientError(error.statusCode, error.message);
    } else {
      request.log.error({ err: error }, 'unhandled error');
      problem = Problem.internal('internal', 'Something went wrong on our side; it has been logged.');
    }
    reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = Problem.notFound('route-not-found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
    reply.status(404).type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
  });
}
