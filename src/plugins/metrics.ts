// Prometheus metrics on a registry of this app's own (tests run several apps in one process, and
// prom-client's global registry would mix or refuse their metrics), and GET /metrics. The database and the
// repository report through fastify.metrics; with METRICS=off that is a no-op and there is no route.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { performance } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { isDuplicateKey } from './database.js'

export type DbOperation = 'insert' | 'find' | 'list' | 'ping'
/** What the item read cache keeps of an item: its JSON answer or its page. */
export type CachedRepresentation = 'json' | 'page'

export interface Telemetry {
  /** Runs one database call and records its duration, and a failure unless the database refused a duplicate. */
  timeDbCall: <T>(operation: DbOperation, call: () => Promise<T>) => Promise<T>
  /** A new item was stored (not a safe retry of an identical one). */
  itemCreated: () => void
  /** A lookup in the item read cache (src/items/read-cache.ts), found in memory or not. */
  cacheLookup: (representation: CachedRepresentation, hit: boolean) => void
  /** The item read cache after a change: the bytes and items it holds, and the items evicted by that change. */
  cacheStored: (bytes: number, items: number, evicted: number) => void
  /** What GET /metrics serves; undefined with METRICS=off. */
  registry: Registry | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Telemetry
  }
}

export interface MetricsOptions {
  /** false: no collection and no /metrics route (METRICS=off). */
  enabled: boolean
}

/** The route label of requests no route matched: raw URLs never become label values. */
export const UNMATCHED_ROUTE = 'unmatched'

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

const DISABLED: Telemetry = {
  timeDbCall: (_operation, call) => call(),
  itemCreated: () => undefined,
  cacheLookup: () => undefined,
  cacheStored: () => undefined,
  registry: undefined,
}

export default fp<MetricsOptions>(
  async function metrics(fastify, options) {
    if (!options.enabled) {
      fastify.decorate('metrics', DISABLED)
      return
    }
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })

    const httpLabels = ['method', 'route', 'status_code'] as const
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: httpLabels,
      registers: [registry],
    })
    const requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to answering it, by method, route pattern and status code',
      labelNames: httpLabels,
      buckets: HTTP_BUCKETS,
      registers: [registry],
    })
    const byOperation = { labelNames: ['operation'] as const, registers: [registry] }
    const dbDuration = new Histogram({
      ...byOperation,
      name: 'db_operation_duration_seconds',
      help: 'Database calls by operation (insert, find, list, ping), failed ones included',
      buckets: DB_BUCKETS,
    })
    const dbFailures = new Counter({
      ...byOperation,
      name: 'db_operation_failures_total',
      help: 'Database calls that failed or passed their time bound, by operation (a refused duplicate name is an answer, not a failure)',
    })
    const itemsCreated = new Counter({
      name: 'items_created_total',
      help: 'New items stored (identical safe retries not counted)',
      registers: [registry],
    })
    const cacheLookups = new Counter({
      name: 'item_cache_lookups_total',
      help: 'Item reads looked up in the read cache, by representation (json, page) and result (hit: answered from memory; miss: rendered, from the database unless the item\'s other representation was kept)',
      labelNames: ['representation', 'result'] as const,
      registers: [registry],
    })
    const cacheBytes = new Gauge({ name: 'item_cache_bytes', help: 'Bytes the item read cache holds (counted as READ_CACHE_MB counts them)', registers: [registry] })
    const cacheItems = new Gauge({ name: 'item_cache_items', help: 'Items the read cache holds', registers: [registry] })
    const cacheEvictions = new Counter({ name: 'item_cache_evictions_total', help: 'Items the read cache dropped, least recently used first, to stay within READ_CACHE_MB', registers: [registry] })
    // Every label value exists from the start, so a rate() over them is defined before the first call.
    for (const operation of ['insert', 'find', 'list', 'ping'] as const) {
      dbFailures.labels(operation).inc(0)
    }
    const lookups = {
      json: { hit: cacheLookups.labels('json', 'hit'), miss: cacheLookups.labels('json', 'miss') },
      page: { hit: cacheLookups.labels('page', 'hit'), miss: cacheLookups.labels('page', 'miss') },
    }
    for (const counter of Object.values(lookups).flatMap((byResult) => Object.values(byResult))) counter.inc(0)

    fastify.decorate('metrics', {
      timeDbCall: async (operation, call) => {
        const started = performance.now()
        try {
          return await call()
        } catch (err) {
          if (!isDuplicateKey(err)) dbFailures.labels(operation).inc()
          throw err
        } finally {
          dbDuration.labels(operation).observe((performance.now() - started) / 1000)
        }
      },
      itemCreated: () => {
        itemsCreated.inc()
      },
      cacheLookup: (representation, hit) => {
        lookups[representation][hit ? 'hit' : 'miss'].inc()
      },
      cacheStored: (bytes, items, evicted) => {
        cacheBytes.set(bytes)
        cacheItems.set(items)
        if (evicted > 0) cacheEvictions.inc(evicted)
      },
      registry,
    } satisfies Telemetry)

    fastify.addHook('onResponse', (request, reply, done) => {
      // The route's pattern (e.g. /items/:name/), never the URL; undefined when no route matched.
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE
      const labels = { method: request.method, route, status_code: reply.statusCode }
      requests.inc(labels)
      requestDuration.observe(labels, reply.elapsedTime / 1000)
      done()
    })
  },
  { name: 'metrics' },
)

/**
 * GET /metrics: the Prometheus text format. Registered with the other routes, after the docs plugin (so that
 * /docs lists it) and the access plugin (which guards it with METRICS_TOKEN); absent with METRICS=off.
 */
export const metricsRoute: FastifyPluginAsync = async (fastify) => {
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
