// The only code that talks to the items collection. Routes call these methods and never see
// Mongoose; database failures come out as DuplicateItemError or DatabaseUnavailableError.
import fp from 'fastify-plugin'
import { Schema, type Model, type mongo } from 'mongoose'
import { withTimeout } from '../plugins/database.js'
import { DatabaseUnavailableError, DuplicateItemError } from './errors.js'

/** An item as the service handles it: money in integer hundredths. */
export interface ItemRecord {
  name: string
  priceCents: number
  description: string | null
  taxCents: number | null
}

/** The stored document. Money is a 64-bit integer (BSON Long) count of hundredths. */
interface ItemDocument {
  _id: string
  priceCents: bigint
  description: string | null
  taxCents: bigint | null
  createdAt: Date
}

export interface ItemPage {
  items: ItemRecord[]
  next: string | null
}

export interface ItemsRepository {
  /** Inserts a new item; never replaces one. Throws DuplicateItemError when the name is taken. */
  create(item: ItemRecord): Promise<ItemRecord>
  findByName(name: string): Promise<ItemRecord | null>
  /** Items in name order, after `after` when given. */
  list(options: { limit: number; after?: string | undefined }): Promise<ItemPage>
}

declare module 'fastify' {
  interface FastifyInstance {
    items: ItemsRepository
  }
}

// The stored shape, for reads (casting the _id of queries) and for people reading this file. Writes do not
// pass through it: create() builds a typed ItemDocument from an already validated record and inserts it
// with the driver, which costs less CPU per create than Model.create() (README, Benchmarks).
const itemSchema = new Schema<ItemDocument>(
  {
    _id: String,
    priceCents: BigInt,
    description: String,
    taxCents: BigInt,
    createdAt: Date,
  },
  // bufferCommands: false makes calls fail at once while disconnected instead of running later,
  // after the client was already told 503.
  { collection: 'items', versionKey: false, bufferCommands: false },
)

// What lean reads return: the driver gives int64 values back as numbers (they fit: at most 10^15).
interface StoredItem {
  _id: string
  priceCents: number | bigint
  description?: string | null
  taxCents?: number | bigint | null
}

function toRecord(doc: StoredItem): ItemRecord {
  return {
    name: doc._id,
    priceCents: Number(doc.priceCents),
    description: doc.description ?? null,
    taxCents: doc.taxCents === null || doc.taxCents === undefined ? null : Number(doc.taxCents),
  }
}

const READ_FIELDS = { _id: 1, priceCents: 1, description: 1, taxCents: 1 } as const

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000
}

export default fp(
  function itemsRepository(fastify, _options, done) {
    const { connection, operationTimeoutMs } = fastify.db
    const Items: Model<ItemDocument> = connection.model<ItemDocument>('Item', itemSchema)
    // Mongoose's collection forwards the driver's methods (and honours bufferCommands: false); its
    // declared type only lacks our string _id.
    const itemsCollection = Items.collection as unknown as mongo.Collection<ItemDocument>

    // Anything but a duplicate key means the database could not answer. Reads are abandoned at the
    // bound. A write is not: once sent it may still be applied, and a 503 meanwhile would say "not
    // stored" about an item that then appears. The driver bounds a write's unsent part (server selection,
    // pool wait) by the same operationTimeoutMs, so an unreachable database still answers 503 in time.
    async function run<T>(operation: string, call: () => Promise<T>, abandonAtBound = true): Promise<T> {
      try {
        return await (abandonAtBound ? withTimeout(call(), operationTimeoutMs) : call())
      } catch (err) {
        if (isDuplicateKey(err)) throw err
        fastify.log.warn({ err, operation }, 'database call failed')
        throw new DatabaseUnavailableError(`database ${operation} failed`, { cause: err })
      }
    }

    const repository: ItemsRepository = {
      async create(item) {
        try {
          // Straight to the driver (see itemSchema above for why).
          const doc: ItemDocument = {
            _id: item.name,
            priceCents: BigInt(item.priceCents),
            description: item.description,
            taxCents: item.taxCents === null ? null : BigInt(item.taxCents),
            createdAt: new Date(),
          }
          await run('insert', () => itemsCollection.insertOne(doc), false)
        } catch (err) {
          // The unique _id index decides races: exactly one insert of a name succeeds.
          if (isDuplicateKey(err)) throw new DuplicateItemError(item.name)
          throw err
        }
        return item
      },

      async findByName(name) {
        const doc = await run('find', () => Items.findById(name, READ_FIELDS).lean<StoredItem>().exec())
        return doc === null ? null : toRecord(doc)
      },

      async list({ limit, after }) {
        const filter = after === undefined ? {} : { _id: { $gt: after } }
        // One extra document tells whether another page follows.
        const docs = await run('list', () =>
          Items.find(filter, READ_FIELDS).sort({ _id: 1 }).limit(limit + 1).lean<StoredItem[]>().exec(),
        )
        const page = docs.slice(0, limit).map(toRecord)
        const last = page.at(-1)
        return { items: page, next: docs.length > limit && last !== undefined ? last.name : null }
      },
    }

    fastify.decorate('items', repository)
    done()
  },
  { name: 'items-repository', dependencies: ['database'] },
)
