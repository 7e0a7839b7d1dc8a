// The application as a Fastify plugin: server.ts runs it, tests build it with buildApp().
// Infrastructure plugins come first, then the feature routes; error handling is defined once here.
import accepts from '@fastify/accepts'
import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Server } from 'node:http'
import accessGuards, { OPEN_ACCESS, type AccessConfig } from './auth/access.js'
import signinRoutes, { type SigninLimits } from './auth/signin-routes.js'
import { OneLineAccessLog } from './http/access-log.js'
import { BODY_LIMIT_BYTES } from './http/body-limit.js'
import { sendError } from './http/errors.js'
import { parseFormBody } from './http/form-body.js'
import { sendHtml } from './http/html-reply.js'
import { registerJsonBodyParser } from './http/json-body.js'
import { registerValidation } from './http/validation.js'
import formRoutes from './items/form-routes.js'
import { nameKeyword } from './items/names.js'
import itemsRepository from './items/repository.js'
import readCache, { READ_CACHE_DEFAULT_MB } from './items/read-cache.js'
import pageRoutes from './items/page-routes.js'
import itemRoutes from './items/routes.js'
import transferRoutes from './items/transfer-routes.js'
import { MONEY_FIELDS } from './items/stored-item.js'
import { moneyKeyword } from './money.js'
import database from './plugins/database.js'
import docs from './plugins/docs.js'
import gracefulClose from './plugins/graceful-close.js'
import loadLimits, { type LoadLimitOptions } from './plugins/load-limits.js'
import metrics, { metricsRoute } from './plugins/metrics.js'
import createLimit from './plugins/create-limit.js'
import corsForTheApi from './plugins/cors.js'
import requestGuards, { clientErrorHandler, frameworkErrors } from './plugins/request-guards.js'
import security from './plugins/security.js'
import staticFiles from './plugins/static-files.js'
import unreadBodies from './plugins/unread-bodies.js'
import healthRoutes from './ops/health.js'
import { notFoundPage } from './views/not-found-page.js'

export interface AppOptions {
  mongodbUri: string
  /** Upper bound for one database call in ms (default 1500), so an outage answers 503 within 2 s. */
  dbOperationTimeoutMs?: number
  /** GET /metrics and the collection behind it (default true; METRICS=off gives false). */
  metrics?: boolean
  /** Creates per minute per client address. Default 0, no limit: server.ts passes RATE_LIMIT_CREATES (default 120). */
  rateLimitCreates?: number
  /** Rows an import may create per writer and hour. Default 0, no budget: server.ts passes RATE_LIMIT_IMPORT_ROWS. */
  importRowsPerHour?: number
  /** Connection cap, body budget and load shedding; none when absent. server.ts passes them from the environment. */
  loadLimits?: LoadLimitOptions
  /** Who may write (API keys, editors), the metrics token and CORS origins. Default: writes open to all. */
  access?: AccessConfig
  /** Sign-in attempts allowed per address and per name (defaults in src/auth/signin-routes.ts). */
  signinLimits?: Partial<SigninLimits>
  /** How often expired sign-in state is removed where the database has no TTL index (default a minute). */
  signinSweepEveryMs?: number
  /** Bytes of item answers kept in memory (src/items/read-cache.ts); 0 = none. Default READ_CACHE_MB's default. */
  readCacheBytes?: number
}

/** Fastify's own options: limits and timeouts that hold for every route. */
export const serverOptions = {
  bodyLimit: BODY_LIMIT_BYTES,
  routerOptions: {
    ignoreTrailingSlash: true,
    // Names are up to 200 characters; URL-encoded that can be far longer than the default 100.
    maxParamLength: 4096,
  },
  requestIdHeader: 'x-request-id',
  // One access line per request (request and answer together), see src/http/access-log.ts.
  logController: new OneLineAccessLog(),
  // Slow clients. Whole request (headers + up to a BODY_LIMIT_BYTES body) within 10 s: ample on any real link.
  requestTimeout: 10_000,
  // A socket with no traffic at all for 15 s is dropped (a trickling client is caught by the bounds above).
  connectionTimeout: 15_000,
  // An idle keep-alive socket is closed after 5 s.
  keepAliveTimeout: 5_000,
  // Handed to http.createServer. Node enforces headersTimeout and requestTimeout only when it checks its
  // connections (by default every 30 s), so it checks every second. requestTimeout is repeated here
  // because Node requires headers <= request when the server is created, before Fastify sets it.
  // requireHostHeader: false lets src/plugins/request-guards.ts answer a missing Host with a `detail`.
  http: { headersTimeout: 5_000, requestTimeout: 10_000, connectionsCheckingInterval: 1_000, requireHostHeader: false },
  // On close: idle keep-alive sockets are dropped at once, busy ones finish their request first.
  forceCloseConnections: 'idle',
  // Requests arriving while closing get 503 from src/plugins/graceful-close.ts, with a `detail`.
  return503OnClosing: false,
  // Errors raised before any route runs answer with a `detail` too.
  frameworkErrors,
  clientErrorHandler,
} satisfies FastifyHttpOptions<Server>

// The domain's own validation keywords; one array, so every app in a process shares the compiled schemas.
export const VALIDATION_KEYWORDS = [nameKeyword, moneyKeyword]

/** One part of the app: its name and how it is added to a Fastify instance. */
export type AppPart = [name: string, register: (fastify: FastifyInstance) => unknown]

/** The app's parts in the order they are added: infrastructure, then the routes. */
export function appParts(options: AppOptions): AppPart[] {
  const access = options.access ?? OPEN_ACCESS
  return [
    ['json-body', (fastify) => { registerJsonBodyParser(fastify, MONEY_FIELDS) }],
    ['validation', (fastify) => { registerValidation(fastify, VALIDATION_KEYWORDS) }],
    ['graceful-close', (fastify) => fastify.register(gracefulClose)],
    ['form-body', (fastify) => fastify.register(formbody, { parser: parseFormBody })],
    ['security', (fastify) => fastify.register(security)],
    ['request-guards', (fastify) => fastify.register(requestGuards, { routerOptions: serverOptions.routerOptions })],
    ['load-limits', (fastify) => options.loadLimits && fastify.register(loadLimits, options.loadLimits)],
    ['metrics', (fastify) => fastify.register(metrics, { enabled: options.metrics ?? true })],
    ['unread-bodies', (fastify) => fastify.register(unreadBodies)],
    ['create-limit', (fastify) => fastify.register(createLimit, { perMinute: options.rateLimitCreates ?? 0 })],
    ['database', (fastify) => fastify.register(database, { mongodbUri: options.mongodbUri, operationTimeoutMs: options.dbOperationTimeoutMs })],
    // After the database, which keeps the sign-in state; before the routes, which name its guards.
    ['access', (fastify) => fastify.register(accessGuards, { access, sweepEveryMs: options.signinSweepEveryMs })],
    ['cors', (fastify) => fastify.register(corsForTheApi, { origins: access.corsOrigins })],
    ['items-repository', (fastify) => fastify.register(itemsRepository)],
    ['read-cache', (fastify) => fastify.register(readCache, { maxBytes: options.readCacheBytes ?? READ_CACHE_DEFAULT_MB * 2 ** 20 })],
    ['docs', (fastify) => fastify.register(docs)],
    ['static-files', (fastify) => fastify.register(staticFiles)],
    ['errors', async (fastify) => {
      await fastify.register(accepts)
      fastify.setErrorHandler((error, request, reply) => {
        // A mistyped address in a browser gets a page with the ways in; programs keep the JSON 404.
        if (request.is404 && (error as { statusCode?: unknown }).statusCode === 404 && prefersHtml(request)) {
          return sendHtml(reply, 404, notFoundPage(fastify.account(request, reply)))
        }
        return sendError(error, request, reply)
      })
      fastify.setNotFoundHandler((request, reply) =>
        prefersHtml(request) ? sendHtml(reply, 404, notFoundPage(fastify.account(request, reply))) : reply.code(404).send({ detail: 'Not Found' }),
      )
    }],
    // Routes last: after docs (so /docs lists them), errors (whose handlers they use) and access (whose guards they name).
    ['health-routes', (fastify) => fastify.register(healthRoutes)],
    ['signin-routes', (fastify) => fastify.register(signinRoutes, { access, limits: options.signinLimits })],
    ['metrics-route', (fastify) => fastify.register(metricsRoute)],
    ['item-routes', (fastify) => fastify.register(itemRoutes)],
    ['form-routes', (fastify) => fastify.register(formRoutes)],
    ['page-routes', (fastify) => fastify.register(pageRoutes)],
    ['transfer-routes', (fastify) => fastify.register(transferRoutes, { importRowsPerHour: options.importRowsPerHour ?? 0 })],
  ]
}

/** A browser ranks text/html above JSON; programs send application/json, *\/* or no Accept at all. */
function prefersHtml(request: FastifyRequest): boolean {
  return request.accepts().type(['application/json', 'text/html']) === 'text/html'
}

export const itemStore = fp<AppOptions>(
  async function itemStore(fastify, options) {
    for (const [, register] of appParts(options)) await register(fastify)
  },
  { name: 'item-store' },
)

/** Builds the whole service on a fresh Fastify instance (what tests and server.ts use). */
export async function buildApp(
  options: AppOptions,
  fastifyOptions: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const fastify = Fastify({ ...serverOptions, ...fastifyOptions }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(itemStore, options)
  return fastify
}
