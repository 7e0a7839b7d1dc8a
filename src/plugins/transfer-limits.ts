// Bounds on the long requests, imports and exports (docs/api.md, "Import and export"): how many run at once,
// per client and in all, checked before any body is read; and the rows an import may create per writer and
// hour, checked once the file's rows are counted and before any is stored.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { HttpError } from '../http/errors.js'

export interface SlotLimits {
  /** What runs: "exports", "imports". */
  what: string
  perClient: number
  total: number
  /** Seconds a refused client is told to wait. */
  retryAfterS: number
}

/**
 * An onRequest hook that admits at most `perClient` requests of this kind per client address (429 beyond)
 * and `total` in all (503 beyond), each with Retry-After; a slot is freed when its answer ends or its
 * connection drops.
 */
export function concurrencySlots({ what, perClient, total, retryAfterS }: SlotLimits): onRequestHookHandler {
  const byClient = new Map<string, number>()
  let running = 0
  return function takeSlot(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const client = request.ip
    const mine = byClient.get(client) ?? 0
    if (mine >= perClient || running >= total) {
      void reply.header('retry-after', retryAfterS)
      done(
        mine >= perClient
          ? new HttpError(429, `At most ${perClient} ${what} at a time from one address; try again in ${retryAfterS} s, when one has finished`)
          : new HttpError(503, `The service is running as many ${what} as it allows at once (${total}); try again in ${retryAfterS} s`),
      )
      return
    }
    running++
    byClient.set(client, mine + 1)
    reply.raw.once('close', () => {
      running--
      const left = (byClient.get(client) ?? 1) - 1
      if (left === 0) byClient.delete(client)
      else byClient.set(client, left)
    })
    done()
  }
}

const HOUR_MS = 3_600_000

/**
 * Rows an import may create per writer (an API key's label, an editor, or the client address while writes are
 * open) in a fixed hour that starts with the writer's first import. `perHour` 0 means no budget.
 */
export class RowBudget {
  private readonly used = new Map<string, { since: number; rows: number }>()

  constructor(readonly perHour: number) {}

  /** Takes `rows` from the writer's budget, or throws 429 with Retry-After (set on `reply`) when they do not fit. */
  take(writer: string, rows: number, reply: FastifyReply, now = Date.now()): void {
    if (this.perHour === 0) return
    for (const [key, entry] of this.used) if (now - entry.since >= HOUR_MS) this.used.delete(key)
    const entry = this.used.get(writer) ?? { since: now, rows: 0 }
    if (entry.rows + rows > this.perHour) {
      const seconds = Math.max(1, Math.ceil((entry.since + HOUR_MS - now) / 1000))
      void reply.header('retry-after', seconds)
      const left = this.perHour - entry.rows
      throw new HttpError(
        429,
        `This file has ${rows} rows, and ${left} of the ${this.perHour} import rows an hour (RATE_LIMIT_IMPORT_ROWS) are left for you; ` +
          `nothing was stored. Send a smaller file, or try again in ${seconds} seconds`,
      )
    }
    entry.rows += rows
    this.used.set(writer, entry)
  }
}
