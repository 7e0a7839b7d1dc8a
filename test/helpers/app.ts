// Starts the whole service on a loopback port against its own database, for tests over real HTTP.
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'
import { testDbUri } from './db.js'

export interface RunningApp {
  app: FastifyInstance
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string
  mongodbUri: string
  close(): Promise<void>
}

/** Builds the app for a fresh database named after `name`, listens on 127.0.0.1:<free port>, waits until ready. */
export async function startApp(
  name: string,
  options: Partial<AppOptions> = {},
  fastifyOptions: FastifyServerOptions = {},
): Promise<RunningApp> {
  const mongodbUri = options.mongodbUri ?? testDbUri(name)
  const app = await buildApp({ ...options, mongodbUri }, { logger: false, ...fastifyOptions })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on a TCP port')
  const baseUrl = `http://127.0.0.1:${address.port}`
  await waitUntilReady(baseUrl)
  return {
    app,
    baseUrl,
    mongodbUri,
    async close() {
      // Leave no test database behind on a shared server; a database that is down is not an error here.
      await app.db.connection.dropDatabase().catch(() => undefined)
      await app.close()
    },
  }
}

/** Polls /readyz until 200; bounded to `timeoutMs`. */
export async function waitUntilReady(baseUrl: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/readyz`)
      if (response.ok) return
      last = `HTTP ${response.status}`
    } catch (err) {
      last = String(err)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${baseUrl} was not ready within ${timeoutMs} ms (last: ${last})`)
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}
