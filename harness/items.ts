// A direct look at the items collection with the driver (int64 kept as Long, so an int64 can be told
// from a double). The document's shape is the one declared in src/items/stored-item.ts.
import { type Collection, type Long, MongoClient, MongoNetworkError, MongoServerSelectionError } from 'mongodb'
import type { StoredItem as Declared } from '../src/items/stored-item.js'

/**
 * The stored document as the driver reads it with promoteLongs: false: int64 values as Long. A field that is
 * not required may be missing (a document stored before the field existed); the service writes null.
 */
export type StoredItem = { [K in keyof Declared]: LongFor<Declared[K]> }
type LongFor<T> = T extends bigint ? Long : T

export interface ItemsCollection {
  client: MongoClient
  collection: Collection<StoredItem>
  /** The stored document, or null; int64 values as Long. */
  stored(name: string): Promise<StoredItem | null>
  count(): Promise<number>
  /** Every stored item's price in hundredths, by name. */
  prices(): Promise<Map<string, number>>
  /** Drops the database (a test's own) and closes the connection. */
  dropAndClose(): Promise<void>
}

/** Connects to the database named in `mongodbUri` and returns its items collection. */
export async function openItems(mongodbUri: string): Promise<ItemsCollection> {
  const client = new MongoClient(mongodbUri, { serverSelectionTimeoutMS: 5_000 })
  await client.connect()
  const collection = client.db().collection<StoredItem>('items')
  return {
    client,
    collection,
    stored: (name) => collection.findOne({ _id: name }, { promoteLongs: false }),
    count: () => collection.countDocuments(),
    async prices() {
      const prices = new Map<string, number>()
      for await (const doc of collection.find({}, { promoteLongs: false })) prices.set(doc._id, doc.priceCents.toNumber())
      return prices
    },
    async dropAndClose() {
      await dropDatabase(mongodbUri, client)
    },
  }
}

/**
 * Drops the database named in `mongodbUri` (a test's own) and closes `client`, or a client of its own. A server
 * that cannot be reached (a test stopped it) is not an error here; any other failure is, rather than a
 * database left behind for the run's end to find.
 */
export async function dropDatabase(mongodbUri: string, client?: MongoClient): Promise<void> {
  const own = client ?? new MongoClient(mongodbUri, { serverSelectionTimeoutMS: 3_000, socketTimeoutMS: 30_000 })
  try {
    await own.db().dropDatabase()
  } catch (err) {
    if (!(err instanceof MongoServerSelectionError || err instanceof MongoNetworkError)) throw err
  } finally {
    await own.close().catch(() => undefined)
  }
}
