// `npm run migrate`: what the service does at every start to the items collection, run by hand: the indexes,
// then the item keys migration (migration.ts), then every look-alike name kept apart, listed. For a database
// user that may create indexes when the service's may not, and after a rolling upgrade (docs/data.md).
import mongoose from 'mongoose'
import pino from 'pino'
import { ConfigError, loadConfig } from '../config.js'
import { DEFAULT_DATABASE, uriDatabaseName, uriHosts } from '../plugins/database.js'
import { differingCodePoints } from './look-alike.js'
import { migrateItemKeys, storedLookAlikes } from './migration.js'
import { createIndexes, createIndex, logReport } from './start-tasks.js'
import { itemModel } from './stored-item.js'

// Another instance holds the lock: try again later (sysexits' EX_TEMPFAIL).
const TRY_LATER = 75

async function main(): Promise<number> {
  const { mongodbUri } = loadConfig()
  const log = pino({ level: 'info', base: undefined })
  const connection = mongoose.createConnection()
  try {
    await connection.openUri(mongodbUri, {
      serverSelectionTimeoutMS: 10_000,
      autoIndex: false,
      autoCreate: false,
      ...(uriDatabaseName(mongodbUri) === undefined ? { dbName: DEFAULT_DATABASE } : {}),
    })
    log.info(`connected to ${uriHosts(mongodbUri)}, database ${connection.name}`)
    const Items = itemModel(connection)
    const again = await createIndexes(Items, log)
    const outcome = await migrateItemKeys(connection, Items, { log })
    if (!outcome.ran) {
      log.warn(`another instance is running the item keys migration (its lock holds until ${outcome.heldUntil.toISOString()}); try again then`)
      return TRY_LATER
    }
    logReport(log, outcome.report)
    for (const spec of again) await createIndex(Items, spec)
    const lookAlikes = await storedLookAlikes(Items)
    process.stdout.write(
      lookAlikes.length === 0
        ? 'No look-alike names are stored.\n'
        : `${lookAlikes.length} stored names read the same as another stored one; both items are kept, the first one named holds the name:\n` +
            lookAlikes
              .map((pair) => {
                const differing = differingCodePoints(pair.name, pair.lookAlikeOf)
                const how = differing.length > 0 ? ` (it has ${differing.join(', ')})` : ' (only its spaces differ)'
                return `  ${JSON.stringify(pair.lookAlikeOf)} holds the name; ${JSON.stringify(pair.name)} reads the same${how}\n`
              })
              .join(''),
    )
    return 0
  } finally {
    await connection.close()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(`migrate: ${err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
