// Runs the service: configuration from the environment, the logger, listen, and a graceful close.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`item-store: configuration error: ${err.message}`)
  process.exit(1)
}

// Log lines are written in blocks of LOG_BUFFER_BYTES, and at least every LOG_FLUSH_MS: one write per
// line handed each line to libuv's thread pool, a cost per request (docs/performance.md). pino flushes the
// rest synchronously when the process exits, also after a crash.
const LOG_BUFFER_BYTES = 4096
const LOG_FLUSH_MS = 250
const logStream = pino.destination({ dest: 1, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS })

const app = await buildApp(
  { mongodbUri: config.mongodbUri, metrics: config.metrics, rateLimitCreates: config.rateLimitCreates, loadLimits: { ...config.loadLimits, trustProxy: config.trustProxy }, readCacheBytes: config.readCacheBytes, access: config.access },
  {
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'], stream: logStream },
    // Whom to believe about the client address (X-Forwarded-For), which the create limit counts by.
    trustProxy: config.trustProxy,
  },
)

// SIGTERM or SIGINT: stop accepting connections, finish requests in flight, close the database.
closeWithGrace({ delay: 10_000, logger: app.log }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})

// The limits in effect (LOG_LEVEL=debug), with where the memory limit came from.
const { loadLimits } = config
app.log.debug({ loadLimits }, `memory limit ${loadLimits.memoryLimitMb} MiB (from ${loadLimits.memoryLimitFrom})`)

try {
  // A backlog as deep as the connection cap, so a burst of connects waits in the kernel's accept queue rather
  // than having its SYNs dropped and retried seconds later (the kernel caps it at net.core.somaxconn).
  await app.listen({ port: config.port, host: config.host, backlog: loadLimits.maxConnections || undefined })
} catch (err) {
  // A HOST that does not resolve or is not this machine's, or a PORT in use, names the variables.
  const reason = err instanceof Error ? err.message : String(err)
  console.error(`item-store: cannot listen on HOST=${config.host} PORT=${config.port}: ${reason}`)
  await app.close()
  process.exit(1)
}
