import type { FastifyReply } from 'fastify'

/** A response's entry for /docs when the route answers an HTML page (the page is a string, sent as it is). */
export function htmlAnswer(description: string) {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } }
}

export const HTML_TYPE = 'text/html; charset=utf-8'

/** Answers a rendered page. */
export function sendHtml(reply: FastifyReply, statusCode: number, body: string): FastifyReply {
  return reply.code(statusCode).type(HTML_TYPE).send(body)
}

/** A redirect target the request names (`next`), made safe: a path on this site (never //host or /\host), what is not printable ASCII percent-encoded. */
export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2048 || !/^\/(?![/\\])/.test(raw)) return '/'
  try {
    return raw.replace(/[^\x21-\x7e]+/g, encodeURIComponent)
  } catch {
    return '/'
  }
}
