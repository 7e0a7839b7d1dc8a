// A limit on creates per client address (RATE_LIMIT_CREATES a minute): the store is insert-only, so spam
// would stay forever. Routes opt in with `config: { limitCreates: true }`; all of them share one bucket per
// address, so alternating the JSON and the form route gains nothing. Reads are never limited.
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { HttpError } from '../http/errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts against the per-client create limit. */
    limitCreates?: boolean
  }
}

export interface CreateLimitOptions {
  /** Creates per minute per client address; 0 turns the limit off. */
  perMinute: number
}

const WINDOW_MS = 60_000

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

export default fp<CreateLimitOptions>(
  async function createLimit(fastify, { perMinute }) {
    if (perMinute === 0) return
    // global: false: the plugin limits nothing by itself; the one check below is all it does here.
    await fastify.register(rateLimit, { global: false })
    // Created once, so one store holds every address's count for all the routes that use it.
    const check = fastify.createRateLimit({ max: perMinute, timeWindow: WINDOW_MS })

    async function limitCreates(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const result = await check(request)
      if (result.isAllowed || !result.isExceeded) return
      const seconds = Math.max(1, result.ttlInSeconds)
      void reply.header('retry-after', seconds)
      throw new HttpError(
        429,
        `Too many new items from your address (at most ${perMinute} a minute); nothing was stored. ` +
          `Try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
      )
    }

    fastify.addHook('onRoute', (route) => {
      if (route.config?.limitCreates !== true) return
      // After the route's own checks (its access guard, its media type), before the body is read: a client over
      // the limit costs no parsing, and a refused request does not count.
      route.onRequest = [...toArray(route.onRequest), limitCreates]
    })
  },
  { name: 'create-limit' },
)
