// GET /metrics: the Prometheus text format. Registered with the other routes, after the docs plugin, so that
// /docs lists it; absent with METRICS=off.
import type { FastifyPluginAsync } from 'fastify'

const metricsRoutes: FastifyPluginAsync = async (fastify) => {
  const registry = fastify.metrics.registry
  if (registry === undefined) return
  fastify.get(
    '/metrics',
    {
      logLevel: 'warn',
      onRequest: fastify.requireMetricsToken,
      schema: {
        tags: ['metrics'],
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format: requests and their latency by route pattern and status code, database calls ' +
          'and failures by operation, items created, and the process (heap, RSS, event-loop lag). Absent with METRICS=off.',
        produces: [registry.contentType],
        ...(fastify.guarded.metrics && { security: [{ metricsToken: [] }] }),
        response: {
          200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...(fastify.guarded.metrics && { 401: { description: 'No or a wrong METRICS_TOKEN (WWW-Authenticate: Bearer)', type: 'object', properties: { detail: { type: 'string' } } } }),
        },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  )
}

export default metricsRoutes
