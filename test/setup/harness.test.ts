// Proves the test harness reaches a real MongoDB-protocol server and that the server behaves the way the
// service relies on: duplicate keys give code 11000 and int64 values (money in hundredths) stay exact.
import { request } from 'node:http'
import { Long, MongoClient, MongoServerError } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CSV_TYPE, generatedCsv } from '../../harness/transfer.js'
import { serverUri, startTestApp, testDbUri } from '../setup/test-app.js'

describe('test database harness', () => {
  let client: MongoClient

  beforeAll(async () => {
    client = new MongoClient(testDbUri('harness'), { serverSelectionTimeoutMS: 5_000 })
    await client.connect()
  })

  afterAll(async () => {
    await client.db().dropDatabase()
    await client.close()
  })

  it('uses a database of its own', () => {
    expect(client.db().databaseName).toMatch(/^harness_[0-9a-f]{6}_[0-9a-f]{8}$/)
  })

  it('inserts a document and reads it back', async () => {
    const things = client.db().collection<{ _id: string; label: string }>('things')
    await things.insertOne({ _id: 'a', label: 'first' })
    expect(await things.findOne({ _id: 'a' })).toEqual({ _id: 'a', label: 'first' })
  })

  it('refuses a duplicate unique key with code 11000', async () => {
    const keyed = client.db().collection<{ _id: string; sku: string }>('keyed')
    await keyed.createIndex({ sku: 1 }, { unique: true }, undefined)
    await keyed.insertOne({ _id: 'one', sku: 'S-1' })
    const duplicate = await keyed.insertOne({ _id: 'two', sku: 'S-1' }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(duplicate).toBeInstanceOf(MongoServerError)
    expect((duplicate as MongoServerError).code).toBe(11000)
    // A duplicate _id is refused the same way.
    const duplicateId = await keyed.insertOne({ _id: 'one', sku: 'S-2' }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect((duplicateId as MongoServerError).code).toBe(11000)
    expect(await keyed.countDocuments()).toBe(1)
  })

  it('keeps a BSON Long (int64) exact', async () => {
    const money = client.db().collection<{ _id: string; priceCents: Long }>('money')
    const big = Long.fromString('999999999999999')
    await money.insertOne({ _id: 'max', priceCents: big })
    const back = await money.findOne({ _id: 'max' }, { promoteLongs: false })
    expect(back?.priceCents).toBeInstanceOf(Long)
    expect(back?.priceCents.toString()).toBe('999999999999999')
    // Stored as int64, not double: $type 'long' finds it.
    expect(await money.countDocuments({ priceCents: { $type: 'long' } })).toBe(1)
  })
})

describe('a test app closing', () => {
  it('leaves its database dropped, even with an import still writing when it closes', async () => {
    const running = await startTestApp('harness_close')
    const { hostname, port } = new URL(running.baseUrl)
    // The answer's head comes after the first batch; the rest of the file is still being stored when close() runs.
    const answered = new Promise<void>((resolve, reject) => {
      const req = request({ host: hostname, port, method: 'POST', path: '/import/items', headers: CSV_TYPE }, (res) => {
        res.resume()
        resolve()
      })
      req.on('error', reject)
      req.end(generatedCsv(5_000))
    })
    await answered
    await running.close()
    const client = new MongoClient(serverUri(), { serverSelectionTimeoutMS: 5_000 })
    try {
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true })
      expect(databases.map((db) => db.name)).not.toContain(new URL(running.mongodbUri).pathname.slice(1))
    } finally {
      await client.close()
    }
  })
})
