import type { FastifyRequest } from 'fastify'
import { HttpError } from './errors.js'

/** onRequest hook factory: refuses a body of any other media type with 415 before it is parsed. */
export function requireContentType(...expected: string[]) {
  const wanted = expected.join(' or ')
  return async function checkContentType(request: FastifyRequest): Promise<void> {
    const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
    if (!expected.includes(mediaType)) {
      const got = mediaType === '' ? 'none' : `"${mediaType.slice(0, 100)}"`
      throw new HttpError(415, `Content-Type must be ${wanted}, got ${got}`)
    }
  }
}
