// Checks that hold for every request and need only its head, so they run before any body is read; and the
// answers to errors raised before a route runs, by Fastify's router or by Node's HTTP parser, whose default
// bodies ({"error", "message", "statusCode"}) lack the `detail` every other error carries.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { HttpError } from '../http/errors.js'
import { SECURITY_HEADERS } from './security.js'

const ROUTER_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL contains an invalid percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'The URL path is too long',
}

/** Fastify's `frameworkErrors` option: router failures (bad URL encoding, overlong path). */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400
  // Raised before the onRequest hooks that set these on every other answer.
  for (const [name, value] of SECURITY_HEADERS) void reply.header(name, value)
  void reply.code(status).send({ detail: ROUTER_MESSAGES[error.code] ?? 'The request could not be routed' })
}

const RAW_SECURITY_HEADERS = SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}\r\n`).join('')

// Connections whose request was answered with a refusal that ends them (an unknown transfer coding, below): a
// parse error in what follows on them (the body) is not answered a second time.
const answeredAndClosing = new WeakSet<Duplex>()

/** Fastify's `clientErrorHandler` option: requests Node could not parse, or that came too slowly. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  if (answeredAndClosing.has(socket)) {
    // end(), not destroy(): the answer already written still reaches the client.
    socket.end()
    return
  }
  const [status, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request line and headers are larger than 16 KiB']
        : [400, 'The request is not valid HTTP/1.1']
  const body = JSON.stringify({ detail })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${RAW_SECURITY_HEADERS}` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

const PLAIN_TRANSFER_CODINGS = new Set(['chunked', 'identity'])

function hasMalformedEscape(query: string): boolean {
  try {
    decodeURIComponent(query)
    return false
  } catch {
    return true
  }
}

export interface RequestGuardsOptions {
  /** The server's own router options, so that paths match here exactly as they route. */
  routerOptions: { ignoreTrailingSlash: boolean; maxParamLength: number }
}

export default fp<RequestGuardsOptions>(
  async function requestGuards(fastify, { routerOptions }) {
    // Every route's path and methods, to tell "no such path" (404) from "not with this method" (405).
    const known = FindMyWay(routerOptions)
    const methods = new Set<HTTPMethod>()
    fastify.addHook('onRoute', (route) => {
      // @fastify/cors's OPTIONS catch-all answers preflights of the JSON API only; it makes no path exist.
      if (route.url === '*') return
      for (const method of [route.method].flat() as HTTPMethod[]) {
        methods.add(method)
        if (!known.hasRoute(method, route.url)) known.on(method, route.url, () => undefined)
      }
    })

    fastify.addHook('onRequest', (request, reply, done) => {
      done(headProblem(request, reply))
    })

    /** The request's head breaks a rule: the error to answer with, else undefined. */
    function headProblem(request: FastifyRequest, reply: FastifyReply): HttpError | undefined {
      // No route serves it: answer now, so that a hostile body sent to any path is never parsed.
      if (request.is404) {
        const path = request.url.split('?', 1)[0] ?? '/'
        const allowed = [...methods].filter((method) => known.find(method, path) !== null)
        if (allowed.length === 0) return new HttpError(404, 'Not Found')
        void reply.header('allow', allowed.join(', '))
        return new HttpError(405, `${request.method} is not allowed on this path; it answers ${allowed.join(', ')}`)
      }
      // Node's own check answers an empty 400; ours says what is missing (see serverOptions.http).
      if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
        return new HttpError(400, 'The request has no Host header; HTTP/1.1 requires one')
      }
      const contentCoding = request.headers['content-encoding']?.trim().toLowerCase()
      if (contentCoding !== undefined && contentCoding !== '' && contentCoding !== 'identity') {
        return new HttpError(415, `Content-Encoding "${contentCoding.slice(0, 100)}" is not supported; send the body uncompressed`)
      }
      const transferCodings = request.headers['transfer-encoding']?.toLowerCase().split(',').map((coding) => coding.trim())
      if (transferCodings?.some((coding) => !PLAIN_TRANSFER_CODINGS.has(coding)) === true) {
        // Where the body ends is unknown, so the connection cannot carry another request (RFC 9112, 6.3):
        // one answer, then close, rather than parsing the body's bytes as a next request.
        void reply.header('connection', 'close')
        answeredAndClosing.add(request.raw.socket)
        return new HttpError(415, `Transfer-Encoding "${transferCodings.join(', ').slice(0, 100)}" is not supported; send the body uncompressed (chunked is fine)`)
      }
      const queryAt = request.url.indexOf('?')
      if (queryAt >= 0 && hasMalformedEscape(request.url.slice(queryAt + 1))) {
        return new HttpError(400, 'The query string has a malformed or non-UTF-8 percent-escape (such as %FF); send UTF-8 text')
      }
      return undefined
    }
  },
  { name: 'request-guards', dependencies: ['security'] },
)
