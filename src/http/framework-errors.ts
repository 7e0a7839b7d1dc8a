// Errors answered before a route runs, by Fastify's router or by Node's HTTP parser. Their default
// bodies ({"error", "message", "statusCode"}) lack the `detail` every other error carries.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { SECURITY_HEADERS } from '../plugins/security.js'

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

// Connections whose request was already answered with a refusal that ends them (src/plugins/request-guards.ts).
const answeredAndClosing = new WeakSet<Duplex>()

/**
 * After this answer the connection closes, unparsed: a parse error in what follows on it (such as the body of
 * an unknown transfer coding) is not answered a second time.
 */
export function closeAfterAnswer(socket: Duplex): void {
  answeredAndClosing.add(socket)
}

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
