import type { FastifyRequest } from 'fastify'
import { HttpError } from './errors.js'

/** onRequest hook factory: refuses a body of any other media type with 415 before it is parsed. */
export function requireContentType(expected: string) {
  return async function checkContentType(request: FastifyRequest): Promise<void> {
    const mediaType = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase()
    if (mediaType !== expected) {
      const got = mediaType === undefined || mediaType === '' ? 'none' : `"${mediaType.slice(0, 100)}"`
      throw new HttpError(415, `Content-Type must be ${expected}, got ${got}`)
    }
  }
}
