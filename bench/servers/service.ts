// The service built for the cost table: the built app (dist/) as src/server.ts runs it, with the
// per-request features named in BENCH_WITHOUT (comma-separated AppOptions.without) left out. Only the bench
// starts it; the service itself has no such setting.
import pino from 'pino'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist')
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(DIST, file)).href)) as T
const { buildApp, COSTED_FEATURES } = await load<typeof import('../../src/app.js')>('app.js')
const { loadConfig } = await load<typeof import('../../src/config.js')>('config.js')

const without = (process.env.BENCH_WITHOUT ?? '').split(',').filter((name) => name !== '')
const unknown = without.filter((name) => !(COSTED_FEATURES as readonly string[]).includes(name))
if (unknown.length > 0) throw new Error(`BENCH_WITHOUT: unknown features ${unknown.join(', ')}; known: ${COSTED_FEATURES.join(', ')}`)

const config = loadConfig()
// As src/server.ts writes its log.
const stream = pino.destination({ dest: 1, minLength: 4096, periodicFlush: 250 })
const app = await buildApp(
  { mongodbUri: config.mongodbUri, metrics: config.metrics, rateLimitCreates: config.rateLimitCreates, loadLimits: config.loadLimits, access: config.access, without: without as typeof COSTED_FEATURES[number][] },
  { logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'], stream }, trustProxy: config.trustProxy },
)
await app.listen({ port: config.port, host: config.host })

function close(): void {
  void app.close().then(() => process.exit(0))
}
process.once('SIGTERM', close)
process.once('SIGINT', close)
