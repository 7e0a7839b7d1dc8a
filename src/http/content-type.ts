import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { HttpError } from './errors.js'

/** onRequest hook factory: refuses a body of any other media type with 415 before it is parsed. */
export function requireContentType(...expected: string[]) {
  const wanted = expected.join(' or ')
  return function checkContentType(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
    if (expected.includes(mediaType)) {
      done()
      return
    }
    const got = mediaType === '' ? 'none' : `"${mediaType.slice(0, 100)}"`
    done(new HttpError(415, `Content-Type must be ${wanted}, got ${got}`))
  }
}
