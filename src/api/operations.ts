/** /healthz (the process is up), /readyz (the store answers), /metrics (Prometheus). */
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import { PROBLEM_CONTENT_TYPE, Problem } from '../http/problem.js';
import type { Metrics, MetricsJson } from '../observability/metrics.js';
import type { StoreLifecycle } from '../store/store.js';

export async function operationRoutes(
  app: FastifyInstance,
  deps: {
    store: StoreLifecycle;
    metrics: Metrics;
    /** Metrics of another registry in this process (the pipeline thread), merged in: counters and histograms summed. */
    remoteMetrics?: () => Promise<MetricsJson>;
  },
): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready', store: deps.store.dialect };
    } catch (e) {
      request.log.warn({ err: e }, 'readiness check failed');
      const problem = Problem.unavailable('store-unavailable', 'The store does not answer.');
      return reply.status(503).type(PROBLEM_CONTENT_TYPE).send(problem.toJSON());
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(deps.metrics.registry.contentType);
    if (!deps.remoteMetrics) return deps.metrics.registry.metrics();
    const [own, remote] = await Promise.all([deps.metrics.registry.getMetricsAsJSON(), deps.remoteMetrics()]);
    return AggregatorRegistry.aggregate([own, remote]).metrics();
  });
}
