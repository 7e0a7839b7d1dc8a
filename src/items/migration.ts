// The item keys migration: items stored before the derived fields existed (or under an older KEYS_VERSION)
// get them, in batches. It runs at every start (a scan that finds nothing when all are current) and as
// `npm run migrate`. Idempotent and resumable: it only touches items whose keysVersion is not the current
// one. One instance at a time: a lock document with an expiry, renewed after every batch. Look-alike names
// stored before the rule existed are reported and kept apart, never merged or deleted (docs/data.md).
import type { FastifyBaseLogger } from 'fastify'
import { randomBytes } from 'node:crypto'
import { Schema, type Connection, type Model } from 'mongoose'
import { itemKeys, KEYS_VERSION, markedKey, type ItemKeys } from './item-keys.js'
import type { ItemModel } from './stored-item.js'

/** A look-alike name found by the migration: `name` keeps a marked key, `lookAlikeOf` holds the key. */
export interface LookAlike {
  name: string
  lookAlikeOf: string
}

export interface MigrationReport {
  /** Items given current keys. */
  updated: number
  batches: number
  /** Look-alike names found in this run. */
  lookAlikes: LookAlike[]
  ms: number
}

const lockSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The instance running the migration. */
    owner: { type: String, required: true },
    /** Another instance may take the lock after this, should the owner die. */
    expiresAt: { type: Date, required: true },
    /** The last finished run, for people looking at the database. */
    lastRun: { type: Schema.Types.Mixed },
  },
  { collection: 'migrations', versionKey: false, bufferCommands: false },
)
const LOCK_ID = 'item-keys'
// Updates sent in one command. FerretDB 1.24 on SQLite stops answering altogether (every database) when one
// update command carries 100 statements or more (docs/data.md); MongoDB takes any number.
const WRITES_PER_COMMAND = 50

/** The database refused a write because a unique key is taken. FerretDB reports it on updates as code 1. */
export function isUniqueViolation(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  return code === 11000 || (typeof message === 'string' && /duplicate key|UNIQUE constraint failed/.test(message))
}

type LeanDoc = { _id: string; description?: string | null; keysVersion?: number | null }

export interface MigrationOptions {
  log: FastifyBaseLogger
  /** Items read and written at a time. */
  batchSize?: number
  /** How long the lock holds without being renewed. */
  lockMs?: number
  /** Stops between batches (the service closing). */
  signal?: AbortSignal
}

export type MigrationOutcome = { ran: true; report: MigrationReport } | { ran: false; heldUntil: Date }

/** What a write sets: the item's keys, or, when another item holds its look-alike key, a marked key. */
function keysUpdate(name: string, keys: ItemKeys, lookAlikeOf: string | undefined): Record<string, unknown> {
  return lookAlikeOf === undefined
    ? { $set: keys, $unset: { lookAlikeOf: 1 } }
    : { $set: { ...keys, nameKey: markedKey(keys.nameKey, name), lookAlikeOf } }
}

type Lock = { _id: string; owner: string; expiresAt: Date; lastRun?: unknown }

function lockModel(connection: Connection): Model<Lock> {
  return (connection.models.Migration as Model<Lock> | undefined) ?? connection.model<Lock>('Migration', lockSchema)
}

/**
 * Runs the migration unless another instance holds its lock. The lock is released at the end (also after a
 * failure); an instance that dies holding it blocks others only until it expires.
 */
export async function migrateItemKeys(connection: Connection, Items: ItemModel, options: MigrationOptions): Promise<MigrationOutcome> {
  const { log, batchSize = 500, lockMs = 60_000, signal } = options
  const Locks = lockModel(connection)
  const owner = randomBytes(8).toString('hex')

  async function takeLock(): Promise<Date | null> {
    const now = Date.now()
    try {
      await Locks.findOneAndUpdate(
        { _id: LOCK_ID, $or: [{ expiresAt: { $lte: new Date(now) } }, { owner }] },
        { $set: { owner, expiresAt: new Date(now + lockMs) } },
        { upsert: true },
      ).exec()
      return null
    } catch (err) {
      // Held by another instance: the upsert met its document.
      if (!isUniqueViolation(err)) throw err
      const held = await Locks.findById(LOCK_ID).lean().exec()
      return held?.expiresAt ?? new Date(now + lockMs)
    }
  }

  const heldUntil = await takeLock()
  if (heldUntil !== null) return { ran: false, heldUntil }

  const started = performance.now()
  const report: MigrationReport = { updated: 0, batches: 0, lookAlikes: [], ms: 0 }

  /** Who holds `nameKey`, other than `name` itself. */
  const holderOf = async (nameKey: string, name: string): Promise<LeanDoc | null> =>
    Items.findOne({ nameKey, _id: { $ne: name } }, { _id: 1, description: 1, keysVersion: 1 }).lean<LeanDoc>().exec()

  /** One item, with every check: a key held by another item marks this one; a stale holder goes first. */
  async function migrateOne(doc: LeanDoc, depth = 0): Promise<void> {
    const keys = itemKeys(doc._id, doc.description)
    for (let attempt = 0; attempt < 3; attempt++) {
      let holder = await holderOf(keys.nameKey, doc._id)
      // The holder's key is of an older version: give it its current keys first; it may no longer hold this one.
      if (holder !== null && holder.keysVersion !== KEYS_VERSION && depth === 0) {
        await migrateOne(holder, 1)
        holder = await holderOf(keys.nameKey, doc._id)
      }
      const lookAlikeOf = holder?._id
      try {
        const result = await Items.updateOne({ _id: doc._id, keysVersion: { $ne: KEYS_VERSION } }, keysUpdate(doc._id, keys, lookAlikeOf)).exec()
        if (result.modifiedCount > 0) {
          report.updated++
          if (lookAlikeOf !== undefined) report.lookAlikes.push({ name: doc._id, lookAlikeOf })
        }
        return
      } catch (err) {
        // A create took the key since it was looked up: look again.
        if (!isUniqueViolation(err)) throw err
      }
    }
    throw new Error(`the look-alike key of "${doc._id}" kept changing hands; run the migration again`)
  }

  try {
    let lastId: string | undefined
    for (;;) {
      if (signal?.aborted === true) break
      const filter = { keysVersion: { $ne: KEYS_VERSION }, ...(lastId === undefined ? {} : { _id: { $gt: lastId } }) }
      const batch = await Items.find(filter, { _id: 1, description: 1, keysVersion: 1 }).sort({ _id: 1 }).limit(batchSize).lean<LeanDoc[]>().exec()
      if (batch.length === 0) break
      // Still ours? An instance that lost the lock (a pause past its expiry) stops; the other one goes on.
      if ((await takeLock()) !== null) throw new Error('the migration lock expired and another instance took it')
      const keys = batch.map((doc) => itemKeys(doc._id, doc.description))
      const held = new Set(
        (await Items.find({ nameKey: { $in: keys.map((k) => k.nameKey) } }, { _id: 1, nameKey: 1 }).lean<{ _id: string; nameKey: string }[]>().exec())
          .filter((holder) => !batch.some((doc, i) => doc._id === holder._id && keys[i]?.nameKey === holder.nameKey))
          .map((holder) => holder.nameKey),
      )
      const seen = new Map<string, number>()
      for (const k of keys) seen.set(k.nameKey, (seen.get(k.nameKey) ?? 0) + 1)
      // The common case, a key nobody else has: all such items of the batch in one write.
      const clean = batch.flatMap((doc, i) => {
        const k = keys[i]
        return k !== undefined && !held.has(k.nameKey) && seen.get(k.nameKey) === 1 ? [{ doc, keys: k }] : []
      })
      const checked = batch.filter((doc) => !clean.some((entry) => entry.doc === doc))
      for (let start = 0; start < clean.length; start += WRITES_PER_COMMAND) {
        const chunk = clean.slice(start, start + WRITES_PER_COMMAND)
        try {
          const result = await Items.bulkWrite(
            chunk.map(({ doc, keys: k }) => ({ updateOne: { filter: { _id: doc._id, keysVersion: { $ne: KEYS_VERSION } }, update: keysUpdate(doc._id, k, undefined) } })),
            { ordered: false },
          )
          report.updated += result.modifiedCount
        } catch (err) {
          // A create took one of the keys meanwhile: settle those items one by one.
          if (!isUniqueViolation(err)) throw err
          // MongoDB applied the others (ordered: false); FerretDB none. Either way they are settled below.
          report.updated += (err as { result?: { modifiedCount?: number } }).result?.modifiedCount ?? 0
          checked.push(...chunk.map((entry) => entry.doc))
        }
      }
      for (const doc of checked) await migrateOne(doc)
      report.batches++
      lastId = batch.at(-1)?._id
      log.debug({ batch: report.batches, updated: report.updated }, 'item keys migration: batch done')
    }
  } finally {
    report.ms = Math.round(performance.now() - started)
    await Locks.updateOne(
      { _id: LOCK_ID, owner },
      { $set: { expiresAt: new Date(0), lastRun: { finishedAt: new Date(), keysVersion: KEYS_VERSION, updated: report.updated, lookAlikes: report.lookAlikes.length } } },
    )
      .exec()
      .catch((err: unknown) => {
        log.warn({ err }, 'item keys migration: could not release its lock; it expires by itself')
      })
  }
  return { ran: true, report }
}

/** Every item kept apart as a look-alike of another (this run's and earlier runs'), for the report. */
export async function storedLookAlikes(Items: ItemModel): Promise<LookAlike[]> {
  const docs = await Items.find({ lookAlikeOf: { $exists: true } }, { _id: 1, lookAlikeOf: 1 }).sort({ _id: 1 }).lean<{ _id: string; lookAlikeOf: string }[]>().exec()
  return docs.map((doc) => ({ name: doc._id, lookAlikeOf: doc.lookAlikeOf }))
}
