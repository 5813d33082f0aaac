/** /api/v1: every route needs a bearer API key; the key decides the tenant. */
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/model.js';
import type { FunctionHost } from '../../functions/function-host.js';
import { FunctionRegistry } from '../../functions/registry.js';
import { PROBLEM_CONTENT_TYPE, Problem } from '../../http/problem.js';
import type { BacklogDrainer } from '../../pipeline/backlog.js';
import type { PolicyRegistry } from '../../policy/registry.js';
import type { Store } from '../../store/store.js';
import { type ApiPrincipal, authenticate } from '../api-keys.js';
import { deadLetterRoutes } from './dead-letters.js';
import { eventRoutes } from './events.js';
import { functionRoutes } from './functions.js';
import { integrationRoutes } from './integrations.js';
import { policyRoutes } from './policies.js';
import { policyAnalysisRoutes } from './policy-analysis.js';
import { rosterRoutes } from './roster.js';
import { subscriptionRoutes } from './subscriptions.js';
import { taskLifecycleRoutes } from './task-lifecycle.js';
import { taskRoutes } from './tasks.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal;
  }
}

export async function apiV1(
  app: FastifyInstance,
  deps: {
    store: Store;
    config: AppConfig;
    drainer: BacklogDrainer;
    clock?: () => Date;
    policies: PolicyRegistry;
    /** Shared with the decision path when given; otherwise the API keeps its own. */
    functions?: FunctionRegistry;
    functionHost?: FunctionHost;
  },
): Promise<void> {
  app.decorateRequest('principal', null as unknown as ApiPrincipal);
  app.addHook('onRequest', async (request, reply) => {
    const principal = await authenticate(deps.store, request.headers.authorization);
    if (!principal) {
      const problem = Problem.unauthorized(
        'invalid-api-key',
        'Send a valid API key as `Authorization: Bearer sy_…` (create one with `switchyard keys create`).',
      );
      return reply.status(401).type(PROBLEM_CONTENT_TYPE).header('www-authenticate', 'Bearer').send(problem.toJSON());
    }
    request.principal = principal;
  });
  // Pass only what the routes need: forwarding `deps` whole would also forward the `prefix` option.
  const { store, config, drainer, policies } = deps;
  const clock = deps.clock ?? (() => new Date());
  await app.register(taskRoutes, { store, config, drainer });
  await app.register(taskLifecycleRoutes, { store, config, drainer });
  await app.register(rosterRoutes, { store, config, drainer });
  await app.register(eventRoutes, { store });
  await app.register(integrationRoutes, { config, store });
  await app.register(subscriptionRoutes, { store, clock });
  await app.register(deadLetterRoutes, { store, clock });
  const registry = deps.functions ?? new FunctionRegistry(store, { clock });
  await app.register(functionRoutes, {
    store,
    config,
    registry,
    clock,
    ...(deps.functionHost ? { host: deps.functionHost } : {}),
  });
  await app.register(policyRoutes, { store, config, policies, clock, functions: registry });
  await app.register(policyAnalysisRoutes, {
    store,
    config,
    clock,
    ...(deps.functionHost ? { functions: deps.functionHost } : {}),
  });
}
