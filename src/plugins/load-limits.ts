// Bounds on what strangers can make the process hold, and load shedding when it is saturated
// (docs/reliability.md: the limits, their defaults and the figures behind them).
//  - At most `maxConnections` open sockets (Node's server.maxConnections: one beyond it is closed at once), and
//    at most a share of them (connectionShare) from one address, so no one address can fill them all; the
//    proxies of TRUST_PROXY excepted, whose connections carry many clients'.
//  - At most `bodyBudgetBytes` of request bodies being read at once, counted by their declared length before
//    any byte is read; a body that does not fit is answered 503 + Retry-After unread, and its connection
//    closed, rather than left waiting: a waiting connection holds its socket and kernel buffers and tells the
//    client nothing, while an answer frees both at once and says when to come back.
//  - @fastify/under-pressure: past an event-loop delay, heap or RSS threshold every new request is answered
//    503 + Retry-After, except /healthz (the process is alive) and /readyz (which says "not ready").
import underPressure from '@fastify/under-pressure'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { existsSync, readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { getHeapStatistics } from 'node:v8'
import proxyAddr from 'proxy-addr'
import { BODY_LIMIT_BYTES } from '../http/body-limit.js'
import { RETRY_AFTER_S } from '../http/errors.js'

export interface LoadLimitOptions {
  /** Open connections at most; 0 = no cap. */
  maxConnections: number
  /** Request body bytes being read at once across all requests; 0 = no budget. */
  bodyBudgetBytes: number
  /** Shed load past this mean event-loop delay over a second, in ms; 0 = not checked. */
  maxEventLoopDelayMs: number
  /** Shed load past this V8 heap use, in bytes; 0 = not checked. */
  maxHeapUsedBytes: number
  /** Shed load past this resident set size, in bytes; 0 = not checked. */
  maxRssBytes: number
  /** Fastify's trustProxy: connections from these peers are not held to one address's share. */
  trustProxy?: boolean | string | string[] | ((address: string, hop: number) => boolean)
}

const MIB = 2 ** 20

/** The cgroup (v2, then v1) memory limit in MiB; undefined without one ("max", or v1's near-2^63 "no limit"). */
function cgroupMemoryLimitMb(): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const bytes = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : NaN
    if (Number.isSafeInteger(bytes) && bytes > 0) return Math.floor(bytes / MIB)
  }
  return undefined
}

/**
 * The limits from the configuration (src/config.ts): RSS at 80 % of the memory limit (MEMORY_LIMIT_MB, else the
 * cgroup's, else the compose file's 256 MiB), heap at 90 % of V8's.
 */
export function loadLimitsFor(env: { maxConnections: number; bodyBufferMb: number; maxEventLoopDelayMs: number; memoryLimitMb: number | undefined }) {
  const fromCgroup = env.memoryLimitMb === undefined ? cgroupMemoryLimitMb() : undefined
  const memoryLimitMb = env.memoryLimitMb ?? fromCgroup ?? 256
  return {
    maxConnections: env.maxConnections,
    bodyBudgetBytes: env.bodyBufferMb * MIB,
    maxEventLoopDelayMs: env.maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    maxRssBytes: Math.floor(memoryLimitMb * MIB * 0.8),
    memoryLimitMb,
    memoryLimitFrom: env.memoryLimitMb !== undefined ? 'MEMORY_LIMIT_MB' : fromCgroup !== undefined ? 'cgroup' : 'default',
  }
}

/** The open connections one address may hold: a sixteenth of the cap (128 of 2 048), at least 8. */
export function connectionShare(maxConnections: number): number {
  return Math.max(8, Math.ceil(maxConnections / 16))
}

function trusted(trustProxy: LoadLimitOptions['trustProxy']): (address: string) => boolean {
  if (trustProxy === undefined || typeof trustProxy === 'boolean') return () => trustProxy === true
  const trust = typeof trustProxy === 'function' ? trustProxy : proxyAddr.compile(trustProxy)
  return (address) => trust(address, 0)
}

/** Seconds a client is told to wait when the process is saturated: pressure is sampled once a second. */
const PRESSURE_RETRY_AFTER_S = 5

const PRESSURE_TEXT: Record<string, string> = {
  eventLoopDelay: 'event-loop delay',
  heapUsedBytes: 'heap use',
  rssBytes: 'memory use (RSS)',
  eventLoopUtilization: 'event-loop utilisation',
  healthCheck: 'health check',
}

/** The bytes a request's body may take while it is read: its declared length, or the limit when chunked. */
function bodyBytes(request: FastifyRequest): number {
  const declared = request.headers['content-length']
  if (declared !== undefined) {
    const length = Number(declared)
    // A length over the limit is refused 413 unread; a malformed one 400: neither is read.
    return Number.isSafeInteger(length) && length > 0 && length <= BODY_LIMIT_BYTES ? length : 0
  }
  return request.headers['transfer-encoding'] === undefined ? 0 : BODY_LIMIT_BYTES
}

export default fp<LoadLimitOptions>(
  async function loadLimits(fastify, options) {
    if (options.maxConnections > 0) {
      fastify.server.maxConnections = options.maxConnections
      const share = connectionShare(options.maxConnections)
      const isProxy = trusted(options.trustProxy)
      // One entry per address with open connections: bounded by the cap.
      const open = new Map<string, number>()
      fastify.server.on('connection', (socket: Socket) => {
        const address = socket.remoteAddress ?? ''
        if (isProxy(address)) return
        const count = (open.get(address) ?? 0) + 1
        if (count > share) {
          socket.destroy()
          return
        }
        open.set(address, count)
        socket.once('close', () => {
          const left = (open.get(address) ?? 1) - 1
          if (left > 0) open.set(address, left)
          else open.delete(address)
        })
      })
    }

    const pressureChecked = options.maxEventLoopDelayMs > 0 || options.maxHeapUsedBytes > 0 || options.maxRssBytes > 0
    if (pressureChecked) {
      await fastify.register(underPressure, {
        maxEventLoopDelay: options.maxEventLoopDelayMs,
        maxHeapUsedBytes: options.maxHeapUsedBytes,
        maxRssBytes: options.maxRssBytes,
        // A value returned is sent by under-pressure as the answer (its types say void); undefined lets the request through.
        pressureHandler: ((request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined): { detail: string } | undefined => {
          const path = request.url.split('?', 1)[0]
          if (path === '/healthz') return undefined
          const what = PRESSURE_TEXT[type] ?? type
          const shown = type === 'eventLoopDelay' ? `${Math.round(value ?? 0)} ms` : `${Math.round((value ?? 0) / 2 ** 20)} MiB`
          if (path === '/readyz') {
            void reply.code(503).header('retry-after', PRESSURE_RETRY_AFTER_S)
            return { detail: `Not ready: the service is under pressure (${what} ${shown})` }
          }
          void reply.code(503).header('retry-after', PRESSURE_RETRY_AFTER_S).header('connection', 'close')
          return { detail: `The service is overloaded (${what} ${shown}); try again in ${PRESSURE_RETRY_AFTER_S} s` }
        }) as (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => void,
      })
    }

    const budget = options.bodyBudgetBytes
    if (budget <= 0) return
    let reserved = 0
    // Callback hook: it runs on every request, and an async one costs a promise each time.
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const bytes = bodyBytes(request)
      if (bytes === 0) {
        done()
        return
      }
      if (reserved + bytes > budget) {
        // Unread: `connection: close` keeps Node from reading the body to reuse the socket.
        void reply
          .code(503)
          .header('retry-after', RETRY_AFTER_S)
          .header('connection', 'close')
          .send({ detail: `The service is reading as many request bodies as it holds at once; try again in ${RETRY_AFTER_S} s` })
        return
      }
      reserved += bytes
      // 'close' comes once the answer is sent or the socket is gone (timeout, client abort), whichever first.
      reply.raw.once('close', () => {
        reserved -= bytes
      })
      done()
    })
  },
  { name: 'load-limits' },
)
