// Answers whose bytes are fixed (a stored item's JSON and page, the entry form): built once with a strong
// ETag, sent as they are, and 304 when the client already has them (fresh: If-None-Match, weak or listed, as
// Express and `send` judge it).
import type { FastifyReply, FastifyRequest } from 'fastify'
import fresh from 'fresh'
import { createHash } from 'node:crypto'

export interface FixedAnswer {
  readonly body: Buffer
  /** A strong validator: the same bytes always give the same tag, on every instance. */
  readonly etag: string
  readonly contentType: string
}

/** For a stored item: browsers and shared caches may keep it for a year without asking again. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'
/** For what changes with every create (lists, searches, the catalogue, 404s): may be kept, but asked for again each time. */
export const REVALIDATE = 'no-cache'
/** For an answer that belongs to one request (a signed-in editor's page, a one-time notice). */
export const PERSONAL = 'private, no-store'

/** A strong ETag from the bytes (128 bits of SHA-256). */
export function strongEtag(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`
}

/**
 * The answer's bytes in a buffer of their own: a small Buffer.from() would be a slice of Node's shared 8 KiB
 * pool and keep all of it alive for as long as the answer is kept.
 */
export function fixedAnswer(content: string | Uint8Array, contentType: string): FixedAnswer {
  const body = Buffer.allocUnsafeSlow(typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength)
  if (typeof content === 'string') body.write(content)
  else body.set(content)
  return { body, etag: strongEtag(body), contentType }
}

/** Sends `answer` (200) or, when the client already has these bytes, 304 with the same validators and caching. */
export function sendFixed(request: FastifyRequest, reply: FastifyReply, answer: FixedAnswer, cacheControl: string): FastifyReply {
  void reply.header('etag', answer.etag).header('cache-control', cacheControl)
  if (fresh(request.headers, { etag: answer.etag })) return reply.code(304).send()
  return reply.code(200).type(answer.contentType).send(answer.body)
}
