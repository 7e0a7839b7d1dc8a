// Per test file: a database of its own on the server the global setup found, and the app running on it.
import { afterAll, beforeAll, inject } from 'vitest'
import type { AppOptions } from '../../src/app.js'
import { startApp, type RunningApp, type StartOptions } from '../../harness/app.js'
import type { ItemsCollection, StoredItem } from '../../harness/items.js'
import { uniqueDatabaseName, withDatabase } from '../../harness/mongo-uri.js'

/**
 * A URI for a database of its own (`<name>_<run tag>_<hex>`) on the server test/setup/mongo-server.ts found;
 * the run tag lets the global setup check at the end that every file dropped what it made.
 */
export function testDbUri(name: string): string {
  return withDatabase(serverUri(), uniqueDatabaseName(`${name.slice(0, 30)}_${inject('runTag')}`))
}

/** The base URI of the run's server; throws, pointing at the explanation, when the run has none. */
export function serverUri(): string {
  const base = inject('mongoUri') as string | undefined
  if (base === undefined) {
    throw new Error('no mongoUri was provided: run this test through vitest, whose globalSetup is test/setup/mongo-server.ts')
  }
  if (base === '') throw new Error('no database for this run: see "[mongo-server] No database" at the start of the output')
  return base
}

export interface TestApp {
  readonly running: RunningApp
  readonly baseUrl: string
  /** The app itself, for requests through inject (no socket). */
  readonly app: RunningApp['app']
  readonly items: ItemsCollection
  /** The stored document, int64 values as Long. */
  stored(name: string): Promise<StoredItem | null>
  count(): Promise<number>
}

type TestAppOptions = Omit<AppOptions, 'mongodbUri'>

/** Starts the app now on a database of its own named after `name`, for a test that closes it itself. */
export function startTestApp(name: string, options: TestAppOptions = {}, start: StartOptions = {}): Promise<RunningApp> {
  return startApp({ mongodbUri: testDbUri(name), ...options }, start)
}

/**
 * Starts the app on a database named after `name` before this file's (or describe's) tests, and closes both
 * after them. `options` may be a function, for options that take a moment to make (an editor's hash).
 */
export function useApp(name: string, options: TestAppOptions | (() => Promise<TestAppOptions>) = {}, start: StartOptions = {}): TestApp {
  let running: RunningApp | undefined
  let items: ItemsCollection | undefined
  beforeAll(async () => {
    running = await startTestApp(name, typeof options === 'function' ? await options() : options, start)
    items = await running.items()
  })
  afterAll(async () => {
    await running?.close()
  })
  const started = (): { running: RunningApp; items: ItemsCollection } => {
    if (running === undefined || items === undefined) throw new Error(`the app for ${name} did not start`)
    return { running, items }
  }
  return {
    get running() {
      return started().running
    },
    get baseUrl() {
      return started().running.baseUrl
    },
    get app() {
      return started().running.app
    },
    get items() {
      return started().items
    },
    stored: (itemName) => started().items.stored(itemName),
    count: () => started().items.count(),
  }
}
