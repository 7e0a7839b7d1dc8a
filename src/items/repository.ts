// The only code that talks to the items collection, through the Mongoose model of stored-item.ts: writes
// are cast and validated by its schema, reads are lean. Routes never see Mongoose; database failures come
// out as DuplicateItemError, DatabaseUnavailableError or WriteOutcomeUnknownError.
import fp from 'fastify-plugin'
import mongoose, { mongo } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDuplicateKey, withTimeout } from '../plugins/database.js'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError } from './errors.js'
import { countBeforeFilter, matchFilter, pageQuery, type FindFilter, type Position, type SortOrder } from './find.js'
import { itemKeys, type ItemKeys } from './item-keys.js'
import { nfc } from './names.js'
import { startItemTasks } from './start-tasks.js'
import { collectionValidator, itemModel, READ_PROJECTION, sameItem, toItem, type Item, type StoredItem } from './stored-item.js'

export interface ItemPage {
  items: Item[]
  /** Another page follows this one (forwards: after its last item; backwards: there always is). */
  more: boolean
}

export interface ListOptions {
  limit: number
  sort: SortOrder
  filter: FindFilter
  /** The page starts after this place; without it, and with `before`, it ends just before that place. */
  after?: Position | undefined
  before?: Position | undefined
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
   * A page of the items that match `filter`, in the order `sort`: after `after` when given; with `before`
   * (and no `after`), the `limit` items just before it instead, still in that order.
   */
  list(options: ListOptions): Promise<ItemPage>
  /** How many items match `filter`. */
  count(filter: FindFilter): Promise<number>
  /** How many items that match `filter` come before `position` in the order `sort`. */
  countBefore(sort: SortOrder, filter: FindFilter, position: Position): Promise<number>
  /** Settles when the start's index creation and item keys migration are done (start-tasks.ts). */
  started(): Promise<void>
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
type NewDocument = Omit<Item, 'name'> & Pick<StoredItem, '_id' | 'createdAt' | 'writeToken' | 'createdBy'> & ItemKeys

function toDocument({ name, ...fields }: Item, createdBy: string | null | undefined): NewDocument {
  return {
    _id: name,
    ...fields,
    createdAt: new Date(),
    writeToken: new mongo.ObjectId(),
    // The derived keys (item-keys.ts), computed here for every create.
    ...itemKeys(name, fields.description),
    ...(createdBy === null || createdBy === undefined ? {} : { createdBy }),
  }
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

export default fp(
  function itemsRepository(fastify, _options, done) {
    const { connection, operationTimeoutMs } = fastify.db
    const { timeDbCall, itemCreated } = fastify.metrics
    const Items = itemModel(connection)
    fastify.db.applyValidator(Items.collection.collectionName, collectionValidator())
    // Writes go through the model so the schema casts and validates them; bufferCommands: false (the
    // schema's option) makes a call while never connected fail at once, unsent.
    const insert = (doc: NewDocument): Promise<unknown> => Items.insertOne(doc)
    const findOne = (filter: Record<string, string>, projection: Record<string, 1>): Promise<ReadDocument | null> =>
      Items.findOne(filter, projection).lean<ReadDocument>().exec()
    // Indexes, then the item keys migration, in the background once connected.
    const tasks = startItemTasks(connection, Items, fastify.log)
    fastify.addHook('preClose', (hookDone) => {
      tasks.stop()
      hookDone()
    })
    fastify.addHook('onClose', async () => {
      await tasks.done
    })

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

    /**
     * A unique key is taken: the name (by our own insert sent earlier, by the same item, or by another one), or
     * the look-alike key (by an item whose name reads the same). The error does not say which index on every
     * server (FerretDB names none), so the stored documents do: the name first, then the look-alike key.
     */
    async function settleDuplicate(item: Item, doc: NewDocument): Promise<CreateResult> {
      const projection: Record<string, 1> = { ...READ_PROJECTION, writeToken: 1 }
      const stored = await run('find', () => findOne({ _id: doc._id }, projection))
      if (stored === null) {
        const lookAlike = await run('find', () => findOne({ nameKey: doc.nameKey }, projection))
        if (lookAlike === null) throw new DatabaseUnavailableError({ cause: new Error('an item reported as present was not found') })
        throw new DuplicateItemError(item.name, lookAlike._id)
      }
      if (stored.writeToken?.equals(doc.writeToken) === true) {
        itemCreated()
        return { item, created: true }
      }
      const existing = toItem(stored)
      if (sameItem(existing, item)) return { item: existing, created: false }
      throw new DuplicateItemError(item.name, stored._id)
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
        // The look-alike rule needs its unique index: right after a start, wait a moment for it.
        if (!tasks.indexesSettled() && connection.readyState === mongoose.ConnectionStates.connected) await tasks.waitForIndexes(operationTimeoutMs)
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
        const find = (id: string): Promise<ReadDocument | null> => run('find', () => findOne({ _id: id }, READ_PROJECTION))
        const composed = nfc(name)
        const doc = (await find(composed)) ?? (composed === name ? null : await find(name))
        return doc === null ? null : toItem(doc)
      },

      async list({ limit, sort, filter, after, before }) {
        const query = pageQuery(sort, filter, after, before)
        // One extra document tells whether another page follows (or, backwards, precedes).
        const docs = await run('list', () =>
          Items.find(query.filter, READ_PROJECTION).sort(query.sort).limit(limit + 1).lean<ReadDocument[]>().exec(),
        )
        const page = docs.slice(0, limit).map(toItem)
        if (query.backwards) page.reverse()
        // Backwards, the page ends just before `before`, so a page follows it.
        return { items: page, more: page.length > 0 && (query.backwards || docs.length > limit) }
      },

      async count(filter) {
        return run('list', () => Items.countDocuments(matchFilter(filter)).exec())
      },

      async countBefore(sort, filter, position) {
        return run('list', () => Items.countDocuments(countBeforeFilter(sort, filter, position)).exec())
      },

      started: () => tasks.done,
    }

    fastify.decorate('items', repository)
    done()
  },
  { name: 'items-repository', dependencies: ['database', 'metrics'] },
)
