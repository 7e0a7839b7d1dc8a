// Shared by the integration tests: raw HTTP calls that keep the body text, and a direct look at the
// stored documents with the MongoDB driver (longs kept as Long, so int64 can be told from double).
import { type Document, type Long, MongoClient } from 'mongodb'
import { startApp, type RunningApp } from '../helpers/app.js'

export interface Answer {
  status: number
  headers: Headers
  text: string
}

export interface JsonAnswer extends Answer {
  json: unknown
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, text: await response.text() }
}

function withJson(raw: Answer): JsonAnswer {
  let json: unknown
  try {
    json = JSON.parse(raw.text)
  } catch {
    json = undefined
  }
  return { ...raw, json }
}

export async function get(baseUrl: string, path: string): Promise<JsonAnswer> {
  return withJson(await answer(await fetch(`${baseUrl}${path}`, { redirect: 'manual' })))
}

/** POST with a raw body and a content type of the caller's choosing (or none). */
export async function post(baseUrl: string, path: string, body: string, contentType?: string): Promise<JsonAnswer> {
  // fetch labels a string body text/plain by itself; bytes go without a Content-Type.
  const init: RequestInit =
    contentType === undefined
      ? { method: 'POST', body: new TextEncoder().encode(body) }
      : { method: 'POST', headers: { 'content-type': contentType }, body }
  return withJson(await answer(await fetch(`${baseUrl}${path}`, init)))
}

export async function postItem(baseUrl: string, item: unknown, path = '/items/new/'): Promise<JsonAnswer> {
  return post(baseUrl, path, typeof item === 'string' ? item : JSON.stringify(item), 'application/json')
}

export async function postForm(baseUrl: string, fields: Record<string, string>, path = '/items/new/form/'): Promise<Answer> {
  return post(baseUrl, path, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded')
}

export interface StoredDocument extends Document {
  _id: string
  priceCents: Long
  description: string | null
  taxCents: Long | null
}

/** A running app plus a driver connection to the same database, for checking what was stored. */
export interface Fixture {
  running: RunningApp
  baseUrl: string
  client: MongoClient
  /** The stored document, with int64 values as Long (promoteLongs: false). */
  stored(name: string): Promise<StoredDocument | null>
  count(): Promise<number>
  close(): Promise<void>
}

export async function startFixture(name: string): Promise<Fixture> {
  const running = await startApp(name)
  const client = new MongoClient(running.mongodbUri, { serverSelectionTimeoutMS: 5_000 })
  await client.connect()
  const items = client.db().collection<StoredDocument>('items')
  return {
    running,
    baseUrl: running.baseUrl,
    client,
    stored: (itemName) => items.findOne({ _id: itemName }, { promoteLongs: false }),
    count: () => items.countDocuments(),
    async close() {
      await client.db().dropDatabase().catch(() => undefined)
      await client.close()
      await running.close()
    },
  }
}

