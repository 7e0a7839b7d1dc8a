// The service for the cost table: the built app (dist/) as src/server.ts runs it, assembled here from the app's
// own parts (appParts, in their order) with the features named in BENCH_WITHOUT (comma-separated) left out or
// replaced by a stand-in. The service itself has no such setting: this assembly is the bench's.
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import pino from 'pino'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { KeywordDefinition } from 'ajv'
import type { AppPart } from '../../src/app.js'

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist')
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(DIST, file)).href)) as T
const { appParts, serverOptions } = await load<typeof import('../../src/app.js')>('app.js')
const { loadConfig } = await load<typeof import('../../src/config.js')>('config.js')
const { registerValidation } = await load<typeof import('../../src/http/validation.js')>('http/validation.js')
const { nameKeyword, normalizeBodyName, normalizeListQuery } = await load<typeof import('../../src/items/names.js')>('items/names.js')

type Register = AppPart[1]

// Hundredths by plain rounding, with no check at all, in place of the x-money keyword.
const roundMoney: KeywordDefinition = {
  keyword: 'x-money',
  schemaType: 'object',
  modifying: true,
  validate: (_rules: unknown, data: string | number | null, _schema?: unknown, cxt?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number }) => {
    if (cxt !== undefined) cxt.parentData[cxt.parentDataProperty] = data === null || data === '' ? null : { cents: Math.round(Number(data) * 100), text: String(data) }
    return true
  },
}
const ROUNDED_MONEY = [nameKeyword, roundMoney]

/** The routes' hooks that compose names, dropped as routes are added. */
function dropNameHooks(route: RouteOptions): void {
  route.preValidation = [route.preValidation ?? []].flat().filter((hook) => hook !== normalizeBodyName && hook !== normalizeListQuery)
}

/** For each feature, the parts it changes: each given the part as the app registers it, and returning its stand-in (null: left out). */
const FEATURES: Record<string, Record<string, (original: Register) => Register | null>> = {
  // The request guards depend on a plugin named 'security'; one that sets no header stands in for it.
  'security-headers': { security: () => (fastify) => fastify.register(fp(async () => undefined, { name: 'security' })) },
  'request-guards': { 'request-guards': () => null },
  // Fastify's own JSON parser stays.
  'exact-json-numbers': { 'json-body': () => null },
  'money-check': { validation: () => (fastify) => { registerValidation(fastify, ROUNDED_MONEY) } },
  'name-normalization': { 'health-routes': (original) => (fastify: FastifyInstance) => { fastify.addHook('onRoute', dropNameHooks); return original(fastify) } },
}

const without = (process.env.BENCH_WITHOUT ?? '').split(',').filter((name) => name !== '')
const unknown = without.filter((name) => FEATURES[name] === undefined)
if (unknown.length > 0) throw new Error(`BENCH_WITHOUT: unknown features ${unknown.join(', ')}; known: ${Object.keys(FEATURES).join(', ')}`)

const config = loadConfig()
const options = { mongodbUri: config.mongodbUri, metrics: config.metrics, rateLimitCreates: config.rateLimitCreates, loadLimits: config.loadLimits, readCacheBytes: config.readCacheBytes, access: config.access }
// As src/server.ts writes its log.
const stream = pino.destination({ dest: 1, minLength: 4096, periodicFlush: 250 })
const app = Fastify({
  ...serverOptions,
  logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'], stream },
  trustProxy: config.trustProxy,
})
await app.register(
  fp(async (fastify) => {
    for (const [name, original] of appParts(options)) {
      let register: Register | null = original
      for (const feature of without) register = register === null ? null : (FEATURES[feature]?.[name]?.(register) ?? register)
      if (register !== null) await register(fastify)
    }
  }),
)
await app.listen({ port: config.port, host: config.host })

function close(): void {
  void app.close().then(() => process.exit(0))
}
process.once('SIGTERM', close)
process.once('SIGINT', close)
