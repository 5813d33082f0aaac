import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  FST_ERR_MAX_PARAM_LENGTH: () =>
    Problem.uriTooLong('uri-too-long', 'A path segment is longer than the 100 characters an id may have.'),
};

function problemOf(error: FastifyError, request: FastifyRequest): Problem {
  if (error instanceof Problem) return error;
  if (error.validation) {
    return Problem.badRequest('validation-failed', `${error.validationContext ?? 'request'} ${error.message}`, {
      errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })),
    });
  }
  const known = error.code ? FASTIFY_PROBLEMS[error.code] : undefined;
  if (known) return known(error);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return Problem.otherClientError(error.statusCode, error.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return Problem.internal('internal', 'Something went wrong on our side; it has been logged.');
}

function sendProblem(reply: FastifyReply, problem: Problem): void {
  reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendProblem(reply, problemOf(error, request)));
  app.setNotFoundHandler((request, reply) => {
    const problem = Problem.notFound('route-not-found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
    sendProblem(reply, problem);
  });
}

/**
 * Fastify's `frameworkErrors` option: the errors it answers before routing (a URL that does not
 * decode, a path segment over `maxParamLength`) become problems too, instead of fastify's own JSON.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendProblem(reply, problemOf(error, request));
}
