// The only code that talks to the items collection, through the Mongoose model of stored-item.ts: writes
// are cast and validated by its schema, reads are lean. Routes never see Mongoose; database failures come
// out as DuplicateItemError, DatabaseUnavailableError or WriteOutcomeUnknownError.
import fp from 'fastify-plugin'
import mongoose, { mongo } from 'mongoose'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDuplicateKey, LONG_READ_MAX_MS, withTimeout } from '../plugins/database.js'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError } from './errors.js'
import { countBeforeFilter, matchFilter, pageQuery, type FindFilter, type Position, type SortOrder } from './find.js'
import { itemKeys, type ItemKeys } from './item-keys.js'
import { nfc } from './names.js'
import { startItemTasks } from './start-tasks.js'
import { collectionValidator, itemModel, newDocument, READ_PROJECTION, sameItem, schemaRefusal, toItem, type Item, type NewDocument as StoredDocument, type StoredItem } from './stored-item.js'

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

/** What became of one item of a batch: stored or already there, or the error a single create would throw. */
export type BatchOutcome = CreateResult | DuplicateItemError | DatabaseUnavailableError | WriteOutcomeUnknownError

export interface ItemsRepository {
  /**
   * Inserts a new item; never replaces one. Throws DuplicateItemError when the name holds another item,
   * DatabaseUnavailableError when the insert was never sent, and WriteOutcomeUnknownError when it was sent
   * and the database neither confirmed nor refused it within the create bound.
   */
  create(item: Item, createdBy?: string | null): Promise<CreateResult>
  /**
   * Inserts many items at once (one unordered insert), each with the single create's guarantees: one outcome
   * per item, in order, each what create would return or throw for it alone. A single create is a batch of one.
   * `readFirst`, for a batch whose names are likely stored (a file sent again): the stored ones are read and
   * answered, and only the others inserted.
   */
  createMany(items: readonly Item[], createdBy?: string | null, options?: { readFirst?: boolean }): Promise<BatchOutcome[]>
  /**
   * Every item in code point order of names (the _id index's order: it needs no derived key, so items stored by
   * other writers are included too), read from one cursor as the caller consumes them, each name once.
   */
  all(): AsyncIterable<Item>
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

/** A new document as stored, with the derived keys the batch's duplicate reads look for. */
type NewDocument = StoredDocument & ItemKeys

function toDocument(item: Item, createdBy: string | null | undefined): NewDocument {
  return newDocument(item, {
    createdAt: new Date(),
    writeToken: new mongo.ObjectId(),
    ...(createdBy === null || createdBy === undefined ? {} : { createdBy }),
    // The derived keys (item-keys.ts), computed here for every create.
    ...itemKeys(item.name, item.description),
  })
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
/** Single creates gathered into one insert at most (insertGrouped). */
const GROUP_MAX = 64
/**
 * The bound on the reads that settle a batch's taken names. FerretDB's SQLite backend answers `$in` by
 * decoding the whole collection: 5-9 s at 100 000 items on a 2-core machine (docs/performance.md).
 */
export const BATCH_READ_MS = LONG_READ_MAX_MS - 5_000
/** Documents per round trip of all(): a few hundred kilobytes at most. */
const ALL_BATCH_SIZE = 500

/** Code point order, MongoDB's order for strings (UTF-16 order differs above U+FFFF). */
function codePointLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0
}

export default fp(
  function itemsRepository(fastify, _options, done) {
    const { connection, operationTimeoutMs } = fastify.db
    const { timeDbCall, itemCreated } = fastify.metrics
    const Items = itemModel(connection)
    fastify.db.applyValidator(Items.collection.collectionName, collectionValidator())
    // Documents are built cast (stored-item.ts newDocument) and checked by the schema's rules before they are
    // written, lean: no Mongoose document is built for a create (docs/performance.md). bufferCommands: false
    // (the schema's option) makes a call while never connected fail at once, unsent.
    const findOne = (filter: Record<string, unknown>, projection: Record<string, 1>): Promise<ReadDocument | null> =>
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
    async function run<T>(operation: 'find' | 'list', call: () => Promise<T>, boundMs = operationTimeoutMs): Promise<T> {
      try {
        return await timeDbCall(operation, () => withTimeout(call(), boundMs))
      } catch (err) {
        fastify.log.warn({ err, operation }, 'database call failed')
        throw new DatabaseUnavailableError({ cause: err })
      }
    }

    /** One item of a batch on its way: what was asked, and the document that carries its write token. */
    interface Pending {
      item: Item
      doc: NewDocument
    }

    /**
     * One unordered insert of `docs`, lean (checked before, see createMany): per document undefined when stored,
     * or the write error that refused it. Throws when the command as a whole failed (never sent, or sent and
     * unanswered).
     */
    async function insertDocs(docs: NewDocument[]): Promise<unknown[]> {
      type Reported = { insertedCount?: number; writeErrors?: unknown; errorResponse?: unknown }
      let reported: Reported
      try {
        reported = await Items.insertMany(docs, { ordered: false, rawResult: true, lean: true })
      } catch (err) {
        const { writeErrors, errorResponse } = err as Reported
        // Answered with write errors (such as duplicate keys): the others were stored.
        if (Array.isArray(writeErrors) && writeErrors.length > 0) {
          reported = err as Reported
        } else {
          // The driver wraps a failure of the command as a whole (never sent, or sent and unanswered) in a bulk
          // write error with no write errors; what happened is the error it wraps.
          throw errorResponse instanceof Error ? errorResponse : err
        }
      }
      const outcomes: unknown[] = docs.map(() => undefined)
      for (const writeError of Array.isArray(reported.writeErrors) ? (reported.writeErrors as { index: number }[]) : []) outcomes[writeError.index] = writeError
      return outcomes
    }

    // Group commit: single-document inserts that arrive in the same turn of the event loop (creates under load)
    // share one unordered insert, far cheaper than one each (docs/performance.md, "Group commit"). Each
    // caller gets its own document's write error, or the whole command's failure, exactly as from an insert of
    // its own, and keeps its own bound, retries and duplicate settling (insertBatch).
    interface Group {
      docs: NewDocument[]
      written: Promise<unknown[]>
    }
    let gathering: Group | undefined
    function insertGrouped(doc: NewDocument): Promise<unknown[]> {
      if (gathering === undefined || gathering.docs.length >= GROUP_MAX) {
        // Sent once the turn's other callbacks ran: those that arrive meanwhile join this group.
        const sent = new Promise<void>((resolve) =>
          setImmediate(() => {
            if (gathering === group) gathering = undefined
            resolve()
          }),
        )
        const group: Group = { docs: [], written: sent.then(() => insertDocs(group.docs)) }
        gathering = group
      }
      const at = gathering.docs.push(doc) - 1
      return gathering.written.then((written) => [written[at]])
    }

    /**
     * The stored documents whose `field` is one of `values`, by that value. On MongoDB from the key index;
     * FerretDB's SQLite backend scans the collection, which can take longer than a single read's bound on a
     * large collection (docs/performance.md).
     */
    async function readBy(field: '_id' | 'nameKey', values: string[]): Promise<Map<unknown, ReadDocument>> {
      const projection: Record<string, 1> = { ...READ_PROJECTION, nameKey: 1, writeToken: 1 }
      const [only] = values
      const docs =
        values.length === 1 && only !== undefined
          ? await run('find', async () => [await findOne({ [field]: only }, projection)].filter((doc): doc is ReadDocument => doc !== null))
          : await run('find', async () => {
              // The range adds nothing on MongoDB (the $in's index bounds lie within it), but FerretDB, which tests
              // every document, then skips the $in test outside it: a file's names in order cost one scan per batch.
              const low = values.reduce((a, b) => (codePointLess(b, a) ? b : a))
              const high = values.reduce((a, b) => (codePointLess(a, b) ? b : a))
              // Its own connection: the main one drops a call unanswered for 10 s (src/plugins/database.ts).
              const LongReads = itemModel(await fastify.db.longReads())
              return LongReads.find({ [field]: { $gte: low, $lte: high, $in: values } }, projection).lean<ReadDocument[]>().exec()
            }, BATCH_READ_MS)
      return new Map(docs.map((doc) => [doc[field], doc]))
    }

    /** The outcome for an item whose name holds `stored`: the same item, or another one. */
    function against(item: Item, stored: ReadDocument): BatchOutcome {
      const existing = toItem(stored)
      return sameItem(existing, item) ? { item: existing, created: false } : new DuplicateItemError(item.name, stored._id)
    }

    /**
     * A unique key is taken: the name (by our own insert sent earlier, its token says so; by the same item; or by
     * another one), or the look-alike key (by an item whose name reads the same). The error does not say which
     * index on every server (FerretDB names none), so the stored documents do: the names first, then the
     * look-alike keys. One read for each, whatever the batch's size.
     */
    async function settleDuplicates(pending: Pending[]): Promise<BatchOutcome[]> {
      const byName = await readBy('_id', pending.map((entry) => entry.doc._id))
      const unnamed = pending.filter((entry) => !byName.has(entry.doc._id))
      const byKey = unnamed.length === 0 ? new Map<unknown, ReadDocument>() : await readBy('nameKey', unnamed.map((entry) => entry.doc.nameKey))
      return pending.map(({ item, doc }) => {
        const stored = byName.get(doc._id)
        if (stored === undefined) {
          const lookAlike = byKey.get(doc.nameKey)
          if (lookAlike === undefined) return new DatabaseUnavailableError({ cause: new Error('an item reported as present was not found') })
          return new DuplicateItemError(item.name, lookAlike._id)
        }
        if (stored.writeToken?.equals(doc.writeToken) === true) {
          itemCreated()
          return { item, created: true }
        }
        return against(item, stored)
      })
    }

    /**
     * A batch whose names are likely stored: those stored are answered from one read, the others inserted. A
     * stored item never changes, so what the read saw stays true; FerretDB refuses a taken name slowly, so
     * inserting them only to be refused would cost more than the read.
     */
    async function readThenInsert(pending: Pending[]): Promise<BatchOutcome[]> {
      let byName: Map<unknown, ReadDocument>
      try {
        byName = await readBy('_id', pending.map((entry) => entry.doc._id))
      } catch (err) {
        if (err instanceof DatabaseUnavailableError) return pending.map(() => err)
        throw err
      }
      const absent = pending.filter((entry) => !byName.has(entry.doc._id))
      const inserted = absent.length === 0 ? [] : await insertBatch(absent)
      let next = 0
      return pending.map(({ item, doc }) => {
        const stored = byName.get(doc._id)
        return stored === undefined ? (inserted[next++] as BatchOutcome) : against(item, stored)
      })
    }

    /**
     * Inserts the batch and settles every item. When the answer to an insert is lost, inserting the same
     * documents again settles them: each either succeeds now or meets the stored one, whose token says
     * whether it is ours. Never answering "not stored" once an insert was sent is what keeps a refused
     * create from appearing later.
     */
    async function insertBatch(pending: Pending[]): Promise<BatchOutcome[]> {
      const deadline = Date.now() + CREATE_MAX_MS
      const outcomes: (BatchOutcome | undefined)[] = pending.map(() => undefined)
      let open = pending.map((_, index) => index)
      let firstError: unknown
      for (let attempt = 0; open.length > 0 && (attempt === 0 || Date.now() < deadline); attempt++) {
        const docs = open.map((index) => (pending[index] as Pending).doc)
        let written: unknown[]
        try {
          written = await timeDbCall('insert', () => withTimeout(docs.length === 1 ? insertGrouped(docs[0] as NewDocument) : insertDocs(docs), deadline - Date.now()))
        } catch (err) {
          if (attempt === 0) {
            fastify.log.warn({ err, operation: 'insert', items: docs.length }, 'database call failed')
            if (neverSent(err)) return pending.map(() => new DatabaseUnavailableError({ cause: err }))
            firstError = err
          }
          await sleep(Math.max(0, Math.min(CONFIRM_RETRY_MS, deadline - Date.now())))
          continue
        }
        const taken: number[] = []
        open.forEach((index, at) => {
          const error = written[at]
          if (error === undefined) {
            itemCreated()
            outcomes[index] = { item: (pending[index] as Pending).item, created: true }
          } else if (isDuplicateKey(error)) {
            taken.push(index)
          } else {
            throw new Error('the database refused an insert for another reason than a duplicate key', { cause: error })
          }
        })
        if (attempt > 0) fastify.log.info({ attempt, items: docs.length }, 'unconfirmed insert settled')
        open = []
        if (taken.length === 0) break
        try {
          const settled = await settleDuplicates(taken.map((index) => pending[index] as Pending))
          taken.forEach((index, at) => {
            const outcome = settled[at]
            // Not found although reported present: try again while there is time.
            if (attempt > 0 && outcome instanceof DatabaseUnavailableError) open.push(index)
            else outcomes[index] = outcome
          })
        } catch (err) {
          // The first insert met a stored item, so it stored nothing: not stored, and never will be (503).
          // A later one may have met our own earlier insert: settle it again while there is time.
          if (!(err instanceof DatabaseUnavailableError)) throw err
          if (attempt === 0) for (const index of taken) outcomes[index] = err
          else open.push(...taken)
        }
        if (open.length > 0) await sleep(Math.max(0, Math.min(CONFIRM_RETRY_MS, deadline - Date.now())))
      }
      return outcomes.map((outcome, index) => outcome ?? new WriteOutcomeUnknownError((pending[index] as Pending).item.name, { cause: firstError }))
    }

    const repository: ItemsRepository = {
      async create(item, createdBy) {
        const [outcome] = await repository.createMany([item], createdBy)
        if (outcome === undefined || outcome instanceof Error) throw outcome ?? new Error('no outcome')
        return outcome
      },

      async createMany(items, createdBy, { readFirst = false } = {}) {
        if (items.length === 0) return []
        // The look-alike rule needs its unique index: right after a start, wait a moment for it.
        if (!tasks.indexesSettled() && connection.readyState === mongoose.ConnectionStates.connected) await tasks.waitForIndexes(operationTimeoutMs)
        const pending = items.map((item) => ({ item, doc: toDocument(item, createdBy) }))
        // Refused by the schema before anything is sent: a bug of ours (the API let it through), a 500.
        for (const { doc } of pending) {
          const refusal = schemaRefusal(doc)
          if (refusal !== null) throw refusal
        }
        return readFirst ? readThenInsert(pending) : insertBatch(pending)
      },

      async *all() {
        const cursor = Items.find({}, READ_PROJECTION).sort({ _id: 1 }).lean<ReadDocument>().cursor({ batchSize: ALL_BATCH_SIZE })
        let last: string | undefined
        try {
          for await (const doc of cursor) {
            // Strictly after the last one: never twice, whatever the server does with items inserted meanwhile.
            if (last !== undefined && !codePointLess(last, doc._id)) continue
            last = doc._id
            yield toItem(doc)
          }
        } finally {
          await cursor.close().catch(() => undefined)
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
