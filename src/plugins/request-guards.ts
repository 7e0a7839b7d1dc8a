// Checks that hold for every request and need only its head, so they run before any body is read.
import fp from 'fastify-plugin'
import { HttpError } from '../http/errors.js'

const PLAIN_TRANSFER_CODINGS = new Set(['chunked', 'identity'])

function hasMalformedEscape(query: string): boolean {
  try {
    decodeURIComponent(query)
    return false
  } catch {
    return true
  }
}

export default fp(
  async function requestGuards(fastify) {
    fastify.addHook('onRequest', async (request) => {
      // No route serves it: answer now, so that a hostile body sent to any path is never parsed.
      if (request.is404) throw new HttpError(404, 'Not Found')
      // Node's own check answers an empty 400; ours says what is missing (see serverOptions.http).
      if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
        throw new HttpError(400, 'The request has no Host header; HTTP/1.1 requires one')
      }
      const contentCoding = request.headers['content-encoding']?.trim().toLowerCase()
      if (contentCoding !== undefined && contentCoding !== '' && contentCoding !== 'identity') {
        throw new HttpError(415, `Content-Encoding "${contentCoding.slice(0, 100)}" is not supported; send the body uncompressed`)
      }
      const transferCodings = request.headers['transfer-encoding']?.toLowerCase().split(',').map((coding) => coding.trim())
      if (transferCodings?.some((coding) => !PLAIN_TRANSFER_CODINGS.has(coding)) === true) {
        throw new HttpError(415, `Transfer-Encoding "${transferCodings.join(', ').slice(0, 100)}" is not supported; send the body uncompressed (chunked is fine)`)
      }
      const queryAt = request.url.indexOf('?')
      if (queryAt >= 0 && hasMalformedEscape(request.url.slice(queryAt + 1))) {
        throw new HttpError(400, 'The query string has a malformed or non-UTF-8 percent-escape (such as %FF); send UTF-8 text')
      }
    })
  },
  { name: 'request-guards', dependencies: ['security'] },
)
