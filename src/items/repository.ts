// The only code that talks to the items collection. Routes call these methods and never see
// Mongoose; database failures come out as DuplicateItemError or DatabaseUnavailableError.
import fp from 'fastify-plugin'
import { Schema, mongo, type Model } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'
import { withTimeout } from '../plugins/database.js'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError, isDuplicateKey } from './errors.js'
import { nfc, prefixUpperBound } from './names.js'

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
  /** Unique to one create request: tells our own insert from another client's with the same name. */
  writeToken: mongo.ObjectId
  /** Who created it (issue 19): `key:<label>` or `editor:<name>`; absent while writes are open. Never read back. */
  createdBy?: string
}

export interface ItemPage {
  items: ItemRecord[]
  next: string | null
}

export interface CreateResult {
  item: ItemRecord
  /** false: an identical item was already stored under that name, and nothing new was written. */
  created: boolean
}

export interface ItemsRepository {
  /**
   * Inserts a new item; never replaces one. Throws DuplicateItemError when the name holds another item,
   * DatabaseUnavailableError when the insert was never sent, and WriteOutcomeUnknownError when it was sent
   * and the database neither confirmed nor refused it within the create bound.
   */
  create(item: ItemRecord, createdBy?: string | null): Promise<CreateResult>
  /** The item under `name` in NFC, or, for one stored before names were normalized, under `name` as given. */
  findByName(name: string): Promise<ItemRecord | null>
  /**
   * Items in name order, after `after` when given, and only names starting with `prefix` when given. With
   * `before` (and no `after`), the `limit` items just before it instead, still in name order.
   */
  list(options: { limit: number; after?: string | undefined; before?: string | undefined; prefix?: string | undefined }): Promise<ItemPage>
  /** How many items (starting with `prefix`, when given) come before `name` in name order. */
  countBefore(name: string, prefix?: string): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    items: ItemsRepository
  }
}

// The stored shape, for people reading this file; the model gives the collection its options. Queries do
// not pass through Mongoose's query layer: create() inserts a typed ItemDocument built from an already
// validated record, and reads filter on the string _id alone, so there is nothing to cast, and the driver's
// calls cost less CPU per request than Model.create() or lean queries (README, Benchmarks).
const itemSchema = new Schema<ItemDocument>(
  {
    _id: String,
    priceCents: BigInt,
    description: String,
    taxCents: BigInt,
    createdAt: Date,
    writeToken: Schema.Types.ObjectId,
    createdBy: String,
  },
  // bufferCommands: false makes calls fail at once while disconnected instead of running later,
  // after the client was already told 503.
  { collection: 'items', versionKey: false, bufferCommands: false },
)

// What reads return: the driver gives int64 values back as numbers (they fit: at most 10^15).
interface LeanItem {
  _id: string
  priceCents: number | bigint
  description?: string | null
  taxCents?: number | bigint | null
  writeToken?: mongo.ObjectId
}

function toRecord(doc: LeanItem): ItemRecord {
  return {
    name: doc._id,
    priceCents: Number(doc.priceCents),
    description: doc.description ?? null,
    taxCents: doc.taxCents === null || doc.taxCents === undefined ? null : Number(doc.taxCents),
  }
}

const READ_FIELDS = { _id: 1, priceCents: 1, description: 1, taxCents: 1 } as const

// Failures raised before anything is written to a server: Mongoose has no connection yet, no server could
// be selected, no pooled connection came free, or the pool was paused at check-out. The driver's
// PoolClearedOnNetworkError, by contrast, interrupts a command already sent, which the server may still apply.
const NEVER_SENT = new Set(['MongooseError', 'MongoServerSelectionError', 'MongoWaitQueueTimeoutError', 'MongoPoolClearedError'])

function neverSent(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  // A connection that failed before its handshake finished never carried a command.
  return NEVER_SENT.has(err.name) || (err as { beforeHandshake?: unknown }).beforeHandshake === true
}

function sameItem(a: ItemRecord, b: ItemRecord): boolean {
  return a.priceCents === b.priceCents && a.description === b.description && a.taxCents === b.taxCents
}

/**
 * How long a create may take in all: the first insert, then confirming an unknown outcome. Short of the
 * 10 s that clients commonly wait; an insert still unanswered by then is answered 504, never 503.
 */
export const CREATE_MAX_MS = 8_000
const CONFIRM_RETRY_MS = 250

/** Code point order, MongoDB's order for strings (UTF-16 order differs above U+FFFF). */
function codePointLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0
}

/**
 * The filter for names starting with `prefix`, after `after` and before `before` (each when given): a range
 * on _id, never a regex, so MongoDB answers from the _id index.
 */
function nameRange(prefix: string | undefined, after: string | undefined, before: string | undefined): object {
  const searching = prefix !== undefined && prefix !== ''
  const upperOfPrefix = searching ? prefixUpperBound(prefix) : undefined
  const upper = before === undefined || (upperOfPrefix !== undefined && codePointLess(upperOfPrefix, before)) ? upperOfPrefix : before
  const range = {
    ...(after === undefined ? {} : { $gt: after }),
    ...(searching ? { $gte: prefix } : {}),
    ...(upper === undefined ? {} : { $lt: upper }),
  }
  return Object.keys(range).length === 0 ? {} : { _id: range }
}

export default fp(
  function itemsRepository(fastify, _options, done) {
    const { connection, operationTimeoutMs } = fastify.db
    const { timeDbCall, itemCreated } = fastify.metrics
    const Items: Model<ItemDocument> = connection.model<ItemDocument>('Item', itemSchema)
    // Mongoose's collection forwards the driver's methods (and honours bufferCommands: false: a call while
    // never connected fails at once, unsent); its declared type only lacks our string _id.
    const itemsCollection = Items.collection as unknown as mongo.Collection<ItemDocument>

    // A read that fails or passes the bound means the database could not answer. (An insert that passes a
    // bound may still be applied, so it is never answered as refused; see create and confirm.)
    async function run<T>(operation: 'find' | 'list', call: () => Promise<T>): Promise<T> {
      try {
        return await timeDbCall(operation, () => withTimeout(call(), operationTimeoutMs))
      } catch (err) {
        fastify.log.warn({ err, operation }, 'database call failed')
        throw new DatabaseUnavailableError(`database ${operation} failed`, { cause: err })
      }
    }

    /** The name is taken: by our own insert (sent earlier), by the same item, or by another one. */
    async function settleDuplicate(item: ItemRecord, doc: ItemDocument): Promise<CreateResult> {
      const stored = await run('find', () => itemsCollection.findOne<LeanItem>({ _id: doc._id }))
      if (stored === null) throw new DatabaseUnavailableError('an item reported as present was not found')
      if (stored.writeToken?.equals(doc.writeToken) === true) {
        itemCreated()
        return { item, created: true }
      }
      const existing = toRecord(stored)
      if (sameItem(existing, item)) return { item: existing, created: false }
      throw new DuplicateItemError(item.name)
    }

    /**
     * The insert was sent but its answer was lost. Inserting the same document again settles it: it either
     * succeeds now or meets the stored one, whose token says whether it is ours. Never answering "not stored"
     * here is what keeps a refused create from appearing later.
     */
    async function confirm(item: ItemRecord, doc: ItemDocument, deadline: number, firstError: unknown): Promise<CreateResult> {
      for (let attempt = 1; Date.now() < deadline; attempt++) {
        try {
          await timeDbCall('insert', () => withTimeout(itemsCollection.insertOne(doc), deadline - Date.now()))
          fastify.log.info({ attempt, name: item.name }, 'unconfirmed insert settled: stored now')
          itemCreated()
          return { item, created: true }
        } catch (err) {
          if (isDuplicateKey(err)) {
            try {
              return await settleDuplicate(item, doc)
            } catch (settleError) {
              if (!(settleError instanceof DatabaseUnavailableError)) throw settleError
            }
          }
        }
        await sleep(Math.max(0, Math.min(CONFIRM_RETRY_MS, deadline - Date.now())))
      }
      throw new WriteOutcomeUnknownError(item.name, { cause: firstError })
    }

    const repository: ItemsRepository = {
      async create(item, createdBy) {
        const deadline = Date.now() + CREATE_MAX_MS
        const doc: ItemDocument = {
          _id: item.name,
          priceCents: BigInt(item.priceCents),
          description: item.description,
          taxCents: item.taxCents === null ? null : BigInt(item.taxCents),
          createdAt: new Date(),
          writeToken: new mongo.ObjectId(),
          ...(createdBy === null || createdBy === undefined ? {} : { createdBy }),
        }
        try {
          // Straight to the driver: the document is already typed and validated.
          await timeDbCall('insert', () => withTimeout(itemsCollection.insertOne(doc), CREATE_MAX_MS))
          itemCreated()
          return { item, created: true }
        } catch (err) {
          if (isDuplicateKey(err)) return settleDuplicate(item, doc)
          fastify.log.warn({ err, operation: 'insert' }, 'database call failed')
          if (neverSent(err)) throw new DatabaseUnavailableError('database insert failed', { cause: err })
          return confirm(item, doc, deadline, err)
        }
      },

      async findByName(name) {
        const find = (id: string): Promise<LeanItem | null> =>
          run('find', () => itemsCollection.findOne<LeanItem>({ _id: id }, { projection: READ_FIELDS }))
        const composed = nfc(name)
        const doc = (await find(composed)) ?? (composed === name ? null : await find(name))
        return doc === null ? null : toRecord(doc)
      },

      async list({ limit, after, before, prefix }) {
        const backwards = after === undefined && before !== undefined
        const filter = nameRange(prefix, after, backwards ? before : undefined)
        // One extra document tells whether another page follows (or, backwards, precedes).
        const docs = await run('list', () =>
          itemsCollection.find<LeanItem>(filter, { projection: READ_FIELDS }).sort({ _id: backwards ? -1 : 1 }).limit(limit + 1).toArray(),
        )
        const page = docs.slice(0, limit).map(toRecord)
        if (backwards) page.reverse()
        const last = page.at(-1)
        // Backwards, the page ends just before `before`, so a page follows it.
        return { items: page, next: last !== undefined && (backwards || docs.length > limit) ? last.name : null }
      },

      async countBefore(name, prefix) {
        return run('list', () => itemsCollection.countDocuments(nameRange(prefix, undefined, name)))
      },
    }

    fastify.decorate('items', repository)
    done()
  },
  { name: 'items-repository', dependencies: ['database', 'metrics'] },
)
