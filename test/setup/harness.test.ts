// Proves the test harness reaches a real MongoDB-protocol server and that the server behaves the way the
// service relies on: duplicate keys give code 11000 and int64 values (money in hundredths) stay exact.
import { Long, MongoClient, MongoServerError } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDbUri } from '../setup/test-app.js'

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
