// What the service does to the items collection once connected, in the background (a start never waits for
// it): create the indexes the schema declares, then run the item keys migration (migration.ts). Creates wait
// for the indexes, briefly, so the look-alike rule holds from the first create on.
import type { FastifyBaseLogger } from 'fastify'
import mongoose, { mongo, type Connection, type IndexDefinition, type IndexOptions } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'
import { differingCodePoints } from './look-alike.js'
import { isUniqueViolation, migrateItemKeys, type MigrationReport } from './migration.js'
import type { ItemModel } from './stored-item.js'

const UNAUTHORIZED = 13
// How many look-alike pairs the start logs one by one; `npm run migrate` lists them all.
const LOGGED_PAIRS = 20
const RETRY_MIN_MS = 1_000
const RETRY_MAX_MS = 30_000

export interface StartTasks {
  /** True once index creation has been tried (whatever came of it). */
  indexesSettled(): boolean
  /** Settles when index creation has been tried, or after `ms`. */
  waitForIndexes(ms: number): Promise<void>
  /** Settles when the indexes and the migration are done, or the service closes first. */
  done: Promise<void>
  /** Stops waiting and retrying; what runs finishes its current batch. */
  stop(): void
}

function onceConnected(connection: Connection, signal: AbortSignal): Promise<boolean> {
  if (connection.readyState === mongoose.ConnectionStates.connected) return Promise.resolve(true)
  return new Promise((resolve) => {
    const connected = (): void => {
      signal.removeEventListener('abort', aborted)
      resolve(true)
    }
    const aborted = (): void => {
      connection.off('connected', connected)
      resolve(false)
    }
    connection.once('connected', connected)
    signal.addEventListener('abort', aborted, { once: true })
  })
}

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code
}

export type IndexSpec = [IndexDefinition, IndexOptions]

export function createIndex(Items: ItemModel, [fields, options]: IndexSpec): Promise<string> {
  return Items.collection.createIndex(fields as Record<string, 1 | -1>, options as mongo.IndexOptions, undefined)
}

/** Creates each index the schema declares; answers the ones that failed on duplicate keys (to try again). */
export async function createIndexes(Items: ItemModel, log: FastifyBaseLogger): Promise<IndexSpec[]> {
  const again: IndexSpec[] = []
  const created: string[] = []
  for (const spec of Items.schema.indexes()) {
    const [fields, options] = spec
    try {
      created.push(await createIndex(Items, spec))
    } catch (err) {
      if (codeOf(err) === UNAUTHORIZED) {
        log.warn({ index: options.name, fields }, 'the database user may not create indexes: searches and the look-alike rule need them (docs/data.md, "Indexes")')
      } else if (isUniqueViolation(err)) {
        log.warn({ index: options.name }, 'stored items share a look-alike key; the index is tried again after the item keys migration')
        again.push(spec)
      } else {
        log.warn({ err, index: options.name, fields }, 'could not create an index of the items collection')
      }
    }
  }
  log.info({ indexes: created }, 'item indexes in place')
  return again
}

export function logReport(log: FastifyBaseLogger, report: MigrationReport): void {
  if (report.updated === 0) {
    log.info('item keys migration: every stored item has current keys')
    return
  }
  for (const pair of report.lookAlikes.slice(0, LOGGED_PAIRS)) {
    const differing = differingCodePoints(pair.name, pair.lookAlikeOf)
    log.warn(
      { ...pair, differing },
      `look-alike names: "${pair.name}" reads the same as "${pair.lookAlikeOf}"${differing.length > 0 ? ` (it has ${differing.join(', ')})` : ''}; both are kept, and "${pair.lookAlikeOf}" holds the name`,
    )
  }
  log.info(
    { updated: report.updated, batches: report.batches, lookAlikes: report.lookAlikes.length, ms: report.ms },
    `item keys migration: ${report.updated} items given current keys in ${report.batches} ${report.batches === 1 ? 'batch' : 'batches'}, ${report.lookAlikes.length} look-alike names reported` +
      (report.lookAlikes.length > LOGGED_PAIRS ? ' (npm run migrate lists them all)' : ''),
  )
}

export function startItemTasks(connection: Connection, Items: ItemModel, log: FastifyBaseLogger): StartTasks {
  const stopping = new AbortController()
  const signal = stopping.signal
  const isStopping = (): boolean => signal.aborted
  let settled = false
  let markSettled: () => void = () => undefined
  const indexesTried = new Promise<void>((resolve) => {
    markSettled = () => {
      settled = true
      resolve()
    }
  })

  async function migrateUntilDone(): Promise<void> {
    let delay = RETRY_MIN_MS
    let toldWaiting = false
    while (!signal.aborted) {
      try {
        const outcome = await migrateItemKeys(connection, Items, { log, signal })
        if (outcome.ran) {
          logReport(log, outcome.report)
          return
        }
        if (!toldWaiting) log.info({ heldUntil: outcome.heldUntil }, 'another instance is running the item keys migration; this one waits for it')
        toldWaiting = true
        await sleep(Math.min(Math.max(outcome.heldUntil.getTime() - Date.now(), RETRY_MIN_MS), 5_000), undefined, { signal })
      } catch (err) {
        // Aborted meanwhile (the service closing): nothing to say. The loop's test alone does not tell the type checker.
        if (isStopping()) return
        log.warn({ err, retryInMs: delay }, 'item keys migration failed; it resumes where it stopped')
        await sleep(delay, undefined, { signal }).catch(() => undefined)
        delay = Math.min(delay * 2, RETRY_MAX_MS)
      }
    }
  }

  async function run(): Promise<void> {
    if (!(await onceConnected(connection, signal))) return
    let again: IndexSpec[] = []
    try {
      again = await createIndexes(Items, log)
    } finally {
      markSettled()
    }
    await migrateUntilDone()
    for (const spec of again) {
      await createIndex(Items, spec).then(
        (name) => {
          log.info({ index: name }, 'item index in place after the migration')
        },
        (err: unknown) => {
          log.warn({ err, index: spec[1].name }, 'could not create an index of the items collection')
        },
      )
    }
  }

  const done = run().catch((err: unknown) => {
    if (!signal.aborted) log.warn({ err }, 'item start tasks failed')
    markSettled()
  })

  return {
    indexesSettled: () => settled,
    waitForIndexes: (ms) => Promise.race([indexesTried, sleep(ms, undefined, { signal }).catch(() => undefined)]),
    done,
    stop: () => {
      stopping.abort()
    },
  }
}
