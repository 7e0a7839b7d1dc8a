// Sign-in state that every instance shares and a restart keeps: attempt counters and revoked sessions, in
// MongoDB, each record with an expiry. A TTL index removes expired records where the server has one; FerretDB
// 1.24 refuses TTL indexes, so there a sweep does. Nothing here grows the process's memory.
import type { FastifyInstance } from 'fastify'
import { Schema } from 'mongoose'
import { HttpError } from '../http/errors.js'
import { isDuplicateKey, withTimeout } from '../plugins/database.js'

const record = { _id: { type: String, required: true }, expiresAt: { type: Date, required: true } }
const options = { versionKey: false, bufferCommands: false } as const
const attemptSchema = new Schema({ ...record, count: { type: Number, required: true } }, { ...options, collection: 'signin_attempts' })
const revokedSchema = new Schema(record, { ...options, collection: 'revoked_sessions' })
for (const schema of [attemptSchema, revokedSchema]) schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 })

/** The store on the app's database connection: fastify.signinStore, decorated by the access plugin. */
export function signinStore(fastify: FastifyInstance, sweepEveryMs = 60_000) {
  const { connection, operationTimeoutMs } = fastify.db
  const Attempts = connection.model('SigninAttempt', attemptSchema)
  const Revoked = connection.model('RevokedSession', revokedSchema)
  fastify.db.expireRecords([Attempts, Revoked], sweepEveryMs, 'sign-in state')
  const bounded = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(call(), operationTimeoutMs)
    } catch (err) {
      fastify.log.warn({ err }, 'sign-in state unavailable')
      throw new HttpError(503, 'Signing in needs the database, which is not answering; try again shortly', { cause: err })
    }
  }

  return {
    /** Counts one attempt under `key` in the current window; the attempts so far in it and the ms it has left. */
    async count(key: string, windowMs: number) {
      // Fixed windows: a record per key and window, so an expired one is never read even before it is removed.
      const window = Math.floor(Date.now() / windowMs)
      const expiresAt = new Date((window + 1) * windowMs)
      const id = `${key}@${window}`
      const increment = () => Attempts.findOneAndUpdate({ _id: id }, { $inc: { count: 1 }, $setOnInsert: { expiresAt } }, { upsert: true, returnDocument: 'after' }).exec()
      // Two first attempts at once: one upsert inserts, the other meets its key and increments.
      const counted = await bounded(() => increment().catch((err: unknown) => (isDuplicateKey(err) ? increment() : Promise.reject(err as Error))))
      return { count: counted.count, leftMs: expiresAt.getTime() - Date.now() }
    },
    async revoke(sessionId: string, expiresAt: Date) {
      await bounded(() => Revoked.updateOne({ _id: sessionId }, { $set: { expiresAt } }, { upsert: true }).exec())
    },
    async isRevoked(sessionId: string) {
      return (await bounded(() => Revoked.exists({ _id: sessionId }).exec())) !== null
    },
  }
}
