// The whole service in this process, listening on a free loopback port, for tests over real HTTP. With a
// driver connection to the same database, so a test can check what was stored.
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { buildApp, type AppOptions } from '../src/app.js'
import { waitUntilReady } from './http.js'
import { dropDatabase, openItems, type ItemsCollection } from './items.js'

export interface RunningApp {
  app: FastifyInstance
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string
  mongodbUri: string
  /** The app's items collection, through a connection of the test's own; opened on first use. */
  items(): Promise<ItemsCollection>
  /** Drops the app's database (a test's own), then closes the app. */
  close(): Promise<void>
}

export interface StartOptions {
  /** Wait until /readyz answers 200 (the default); false for tests that start with the database down. */
  waitForReady?: boolean
  fastify?: FastifyServerOptions
  /** Runs after the app is built and before it listens, e.g. to add a test-only route. */
  beforeListen?: (app: FastifyInstance) => void
}

export async function startApp(options: AppOptions, { waitForReady = true, fastify = {}, beforeListen }: StartOptions = {}): Promise<RunningApp> {
  const app = await buildApp(options, { logger: false, ...fastify })
  beforeListen?.(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on a TCP port')
  const baseUrl = `http://127.0.0.1:${address.port}`
  if (waitForReady) await waitUntilReady(baseUrl)
  let items: Promise<ItemsCollection> | undefined
  return {
    app,
    baseUrl,
    mongodbUri: options.mongodbUri,
    items: () => (items ??= openItems(options.mongodbUri)),
    async close() {
      // The app first: closing stops its start tasks (indexes, the item keys migration) and waits for requests
      // in flight, so nothing of it writes after the drop and makes the database again.
      await app.close()
      const opened = await items?.catch(() => undefined)
      await dropDatabase(options.mongodbUri, opened?.client)
    },
  }
}
