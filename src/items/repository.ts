// The only code that talks to the items collection, through the Mongoose model of stored-item.ts: writes
// are cast and validated by its schema, reads are lean. Routes never see Mongoose; database failures come
// out as DuplicateItemError, DatabaseUnavailableError or WriteOutcomeUnknownError.
import fp from 'fastify-plugin'
import { mongo } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDuplicateKey, withTimeout } from '../plugins/database.js'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError } from './errors.js'
import { nfc, prefixUpperBound } from './names.js'
import { collectionValidator, itemSchema, READ_PROJECTION, sameItem, toItem, type Item, type StoredItem } from './stored-item.js'

export interface ItemPage {
  items: Item[]
  next: string | null
}

export interface CreateResult {
  item: Item
  /** false: an identical item was already stored under that name, and nothing new was written. */
  created: boolean
}

export interface ItemsRepository {
  /**
   * Inserts a new item; never replaces one. Throws DuplicateItemError when the name holds another item,
   * DatabaseUnavailableError when the insert was never sent, and WriteOutcomeUnknownError when it was sent
   * and the database neither confirmed nor refused it within the create bound.
   */
  create(item: Item, createdBy?: string | null): Promise<CreateResult>
  /** The item under `name` in NFC, or, for one stored before names were normalized, under `name` as given. */
  findByName(name: string): Promise<Item | null>
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

// A document as read (lean): the driver gives int64 values back as numbers (they fit: at most 10^15).
// writeToken may be missing from a document another writer stored.
type ReadDocument = Pick<StoredItem, '_id'> & { writeToken?: StoredItem['writeToken'] } & Record<string, unknown>

/** A new document: the item's fields under their API names, which the schema's aliases store (and cast) as declared. */
type NewDocument = Omit<Item, 'name'> & Pick<StoredItem, '_id' | 'createdAt' | 'writeToken' | 'createdBy'>

function toDocument({ name, ...fields }: Item, createdBy: string | null | undefined): NewDocument {
  return { _id: name, ...fields, createdAt: new Date(), writeToken: new mongo.ObjectId(), ...(createdBy === null || createdBy === undefined ? {} : { createdBy }) }
}

// Failures raised before anything is written to a server: Mongoose has no connection yet, no server could
// be selected, no pooled connection came free, or the pool was paused at check-out. The driver's
// PoolClearedOnNetworkError, by contrast, interrupts a command already sent, which the server may still apply.
const NEVER_SENT = new Set(['MongooseError', 'MongoServerSelectionError', 'MongoWaitQueueTimeoutError', 'MongoPoolClearedError'])

function neverSent(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  // A connection that failed before its handshake finished never carried a command.
  return NEVER_SENT.has(err.name) || (err as { beforeHandshake?: unknown }).beforeHandshake === true
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
    const Items = connection.model('Item', itemSchema)
    fastify.db.applyValidator(itemSchema.get('collection') ?? 'items', collectionValidator())
    // Writes go through the model so the schema casts and validates them; bufferCommands: false (the
    // schema's option) makes a call while never connected fail at once, unsent.
    const insert = (doc: NewDocument): Promise<unknown> => Items.insertOne(doc)
    const findOne = (name: string, projection: Record<string, 1>): Promise<ReadDocument | null> =>
      Items.findOne({ _id: name }, projection).lean<ReadDocument>().exec()

    // A read that fails or passes the bound means the database could not answer. (An insert that passes a
    // bound may still be applied, so it is never answered as refused; see create and confirm.)
    async function run<T>(operation: 'find' | 'list', call: () => Promise<T>): Promise<T> {
      try {
        return await timeDbCall(operation, () => withTimeout(call(), operationTimeoutMs))
      } catch (err) {
        fastify.log.warn({ err, operation }, 'database call failed')
        throw new DatabaseUnavailableError({ cause: err })
      }
    }

    /** The name is taken: by our own insert (sent earlier), by the same item, or by another one. */
    async function settleDuplicate(item: Item, doc: NewDocument): Promise<CreateResult> {
      const stored = await run('find', () => findOne(doc._id, { ...READ_PROJECTION, writeToken: 1 }))
      if (stored === null) throw new DatabaseUnavailableError({ cause: new Error('an item reported as present was not found') })
      if (stored.writeToken?.equals(doc.writeToken) === true) {
        itemCreated()
        return { item, created: true }
      }
      const existing = toItem(stored)
      if (sameItem(existing, item)) return { item: existing, created: false }
      throw new DuplicateItemError(item.name)
    }

    /**
     * The insert was sent but its answer was lost. Inserting the same document again settles it: it either
     * succeeds now or meets the stored one, whose token says whether it is ours. Never answering "not stored"
     * here is what keeps a refused create from appearing later.
     */
    async function confirm(item: Item, doc: NewDocument, deadline: number, firstError: unknown): Promise<CreateResult> {
      for (let attempt = 1; Date.now() < deadline; attempt++) {
        try {
          await timeDbCall('insert', () => withTimeout(insert(doc), deadline - Date.now()))
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
        const doc = toDocument(item, createdBy)
        try {
          await timeDbCall('insert', () => withTimeout(insert(doc), CREATE_MAX_MS))
          itemCreated()
          return { item, created: true }
        } catch (err) {
          if (isDuplicateKey(err)) return settleDuplicate(item, doc)
          // Refused by the schema before anything was sent: a bug of ours (the API let it through), a 500.
          if (err instanceof Error && err.name === 'ValidationError') throw err
          fastify.log.warn({ err, operation: 'insert' }, 'database call failed')
          if (neverSent(err)) throw new DatabaseUnavailableError({ cause: err })
          return confirm(item, doc, deadline, err)
        }
      },

      async findByName(name) {
        const find = (id: string): Promise<ReadDocument | null> => run('find', () => findOne(id, READ_PROJECTION))
        const composed = nfc(name)
        const doc = (await find(composed)) ?? (composed === name ? null : await find(name))
        return doc === null ? null : toItem(doc)
      },

      async list({ limit, after, before, prefix }) {
        const backwards = after === undefined && before !== undefined
        const filter = nameRange(prefix, after, backwards ? before : undefined)
        // One extra document tells whether another page follows (or, backwards, precedes).
        const docs = await run('list', () =>
          Items.find(filter, READ_PROJECTION).sort({ _id: backwards ? -1 : 1 }).limit(limit + 1).lean<ReadDocument[]>().exec(),
        )
        const page = docs.slice(0, limit).map(toItem)
        if (backwards) page.reverse()
        const last = page.at(-1)
        // Backwards, the page ends just before `before`, so a page follows it.
        return { items: page, next: last !== undefined && (backwards || docs.length > limit) ? last.name : null }
      },

      async countBefore(name, prefix) {
        return run('list', () => Items.countDocuments(nameRange(prefix, undefined, name)).exec())
      },
    }

    fastify.decorate('items', repository)
    done()
  },
  { name: 'items-repository', dependencies: ['database', 'metrics'] },
)
