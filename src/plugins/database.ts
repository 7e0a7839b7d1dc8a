// The MongoDB connection. The service starts while the database is down and keeps trying; once
// connected, the driver reconnects by itself. Every call is bounded so an outage answers 503 fast.
import fp from 'fastify-plugin'
import mongoose, { type Connection } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'

interface DatabaseOptions {
  mongodbUri: string
  /** Upper bound for one database call, in ms; an outage answers 503 within about this. */
  operationTimeoutMs?: number | undefined
}

/** A model whose records carry `expiresAt` and whose schema gives it a TTL index. */
interface Expiring {
  createIndexes(): Promise<unknown>
  deleteMany(filter: { expiresAt: { $lt: Date } }): PromiseLike<unknown>
}

interface Database {
  connection: Connection
  /** A small connection of its own for reads that may take a minute, opened on first use (again after a failure). */
  longReads(): Promise<Connection>
  operationTimeoutMs: number
  /** Answers when the database replies to a ping within the operation timeout. */
  ping(): Promise<boolean>
  /**
   * Once connected, gives `collection` this validator (creating the collection if needed) where the server
   * supports validators; logs and carries on where it does not (FerretDB). Never delays or fails the start.
   */
  applyValidator(collection: string, validator: Record<string, unknown>): void
  /**
   * Once connected, builds the models' indexes, whose TTL index on `expiresAt` removes expired records; where
   * the server refuses TTL indexes (FerretDB 1.24) or the indexes fail, a sweep every `sweepEveryMs` removes them.
   */
  expireRecords(models: Expiring[], sweepEveryMs: number, what: string): void
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}

const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 5_000
/** How long a call the server took may go unanswered before its connection is dropped (clearing the pool). */
const SENT_CALL_MAX_MS = 10_000
/**
 * The same for the long reads' own connection: above their bound, since FerretDB answers a batch read by
 * decoding the whole collection (src/items/repository.ts). Kept apart so that the main pool keeps the short one.
 */
export const LONG_READ_MAX_MS = 65_000
// Server error codes.
const NAMESPACE_NOT_FOUND = 26
const NAMESPACE_EXISTS = 48
const COMMAND_NOT_FOUND = 59
const NOT_IMPLEMENTED = 238

/** The database used when MONGODB_URI names none. */
export const DEFAULT_DATABASE = 'items'

/** The database named in a mongodb:// URI's path, if any (host lists are not URLs, so this reads the text). */
export function uriDatabaseName(uri: string): string | undefined {
  const hostsAndPath = uri.slice(uri.indexOf('://') + 3).split('?', 1)[0] ?? ''
  const slash = hostsAndPath.indexOf('/')
  const path = slash < 0 ? '' : hostsAndPath.slice(slash + 1)
  return path === '' ? undefined : decodeURIComponent(path)
}

/** The hosts of a mongodb:// URI, without credentials, database or options: what a log line may show. */
export function uriHosts(uri: string): string {
  const afterScheme = uri.slice(uri.indexOf('://') + 3)
  const hostsAndPath = afterScheme.slice(afterScheme.lastIndexOf('@', afterScheme.search(/[/?]|$/)) + 1)
  return hostsAndPath.split(/[/?]/, 1)[0] ?? ''
}

/** An error's message up to its first line break, at most 200 characters. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return (message.split('\n', 1)[0] ?? '').slice(0, 200)
}

export default fp<DatabaseOptions>(
  async function database(fastify, options) {
    const operationTimeoutMs = options.operationTimeoutMs ?? 1_500
    // A connection of our own, not mongoose's global one, so tests can run several apps at once.
    const connection = mongoose.createConnection()
    const closing = new AbortController()
    const isClosing = (): boolean => closing.signal.aborted
    let markConnected: () => void = () => undefined
    const connected = new Promise<void>((resolve) => {
      markConnected = resolve
    })

    const connectOptions = {
      serverSelectionTimeoutMS: operationTimeoutMs,
      connectTimeoutMS: operationTimeoutMs,
      // A call waiting for a pooled connection gives up by itself within the bound, unsent, so a write
      // refused for that reason is never run later.
      waitQueueTimeoutMS: operationTimeoutMs,
      socketTimeoutMS: SENT_CALL_MAX_MS,
      heartbeatFrequencyMS: 2_000,
      autoIndex: false,
      autoCreate: false,
      // The repository settles a sent insert itself (the write token). The driver's own retry of one could
      // fail server selection, which would make a sent insert look never sent and be answered 503.
      retryWrites: false,
      // A URI that names no database would otherwise store into the driver's default, "test".
      ...(uriDatabaseName(options.mongodbUri) === undefined ? { dbName: DEFAULT_DATABASE } : {}),
    } satisfies mongoose.ConnectOptions

    const hosts = uriHosts(options.mongodbUri)
    // Each failed first connection also emits 'disconnected'; the retry line already says so.
    let everConnected = false
    async function connectUntilUp(): Promise<void> {
      let delay = RETRY_MIN_MS
      for (let attempt = 1; !isClosing(); attempt++) {
        try {
          await connection.openUri(options.mongodbUri, connectOptions)
          everConnected = true
          fastify.log.info({ attempt }, 'database connected')
          markConnected()
          return
        } catch (err) {
          if (isClosing()) return
          // One line a try: the driver's error (stack, topology) runs to some 40 lines, so it goes to debug.
          fastify.log.warn(`database not reachable at ${hosts} (MONGODB_URI): ${firstLine(err)}; try ${attempt + 1} in ${delay} ms`)
          fastify.log.debug({ err, attempt, retryInMs: delay }, 'database connection error')
          await sleep(delay, undefined, { signal: closing.signal }).catch(() => undefined)
          delay = Math.min(delay * 2, RETRY_MAX_MS)
        }
      }
    }
    // Not awaited: the server listens (and reports not ready) while the database is down.
    const connecting = connectUntilUp()

    connection.on('disconnected', () => {
      if (everConnected && !isClosing()) fastify.log.warn('database disconnected')
    })
    connection.on('reconnected', () => {
      fastify.log.info('database reconnected')
    })

    async function ping(): Promise<boolean> {
      const db = connection.db
      if (connection.readyState !== mongoose.ConnectionStates.connected || db === undefined) return false
      try {
        await fastify.metrics.timeDbCall('ping', () => withTimeout(db.command({ ping: 1 }), operationTimeoutMs))
        return true
      } catch {
        return false
      }
    }

    function applyValidator(collection: string, validator: Record<string, unknown>): void {
      void connected.then(async () => {
        const db = connection.db
        if (db === undefined || isClosing()) return
        const run = (command: Record<string, unknown>): Promise<unknown> => withTimeout(db.command(command), operationTimeoutMs)
        const modify = (): Promise<unknown> => run({ collMod: collection, validator })
        try {
          await modify().catch(async (err: unknown) => {
            if (errorCode(err) !== NAMESPACE_NOT_FOUND) throw err
            // Another instance may create it meanwhile; then it is modified like an existing one.
            await run({ create: collection, validator }).catch((createError: unknown) => {
              if (errorCode(createError) !== NAMESPACE_EXISTS) throw createError
              return modify()
            })
          })
          fastify.log.info({ collection }, 'collection validator in place')
        } catch (err) {
          if (isClosing()) return
          const code = errorCode(err)
          if (code === NOT_IMPLEMENTED || code === COMMAND_NOT_FOUND) {
            fastify.log.info({ collection, code }, 'the database server has no collection validators; the schema alone checks writes')
          } else {
            fastify.log.warn({ err, collection }, 'could not set the collection validator; the schema alone checks writes')
          }
        }
      })
    }

    let sweep: NodeJS.Timeout | undefined
    function expireRecords(models: Expiring[], sweepEveryMs: number, what: string): void {
      let sweeping = false
      const expire = (): void => {
        // One sweep at a time: on a slow database they would pile up on the pool.
        if (sweeping) return
        sweeping = true
        void Promise.all(models.map((model) => model.deleteMany({ expiresAt: { $lt: new Date() } })))
          .catch(() => undefined)
          .finally(() => {
            sweeping = false
          })
      }
      void connected.then(() =>
        Promise.all(models.map((model) => model.createIndexes())).catch((err: unknown) => {
          // Without a TTL index, for whatever reason, records must still expire: the sweep removes them.
          if (errorCode(err) === NOT_IMPLEMENTED) fastify.log.info(`the database has no TTL indexes: expired ${what} is swept`)
          else fastify.log.warn({ err }, `no TTL index on the ${what}; expired records are swept`)
          sweep ??= setInterval(expire, sweepEveryMs).unref()
        }),
      )
    }

    let longReadConnection: Promise<Connection> | undefined
    function longReads(): Promise<Connection> {
      longReadConnection ??= mongoose
        .createConnection(options.mongodbUri, { ...connectOptions, socketTimeoutMS: LONG_READ_MAX_MS, maxPoolSize: 2 })
        .asPromise()
        .catch((err: unknown) => {
          longReadConnection = undefined
          throw err
        })
      return longReadConnection
    }

    fastify.decorate('db', { connection, longReads, operationTimeoutMs, ping, applyValidator, expireRecords })

    fastify.addHook('onClose', async () => {
      clearInterval(sweep)
      closing.abort()
      await connecting
      await Promise.all([connection.close(), longReadConnection?.then((long) => long.close()).catch(() => undefined)])
    })
  },
  { name: 'database', dependencies: ['metrics'] },
)

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
}

/** The database refused a write because the key is taken: an answer, not a failure. */
export function isDuplicateKey(err: unknown): boolean {
  return errorCode(err) === 11000
}

class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** Rejects with TimeoutError when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new TimeoutError(`no answer within ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
