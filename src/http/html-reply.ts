import type { FastifyReply } from 'fastify'

/** Answers a rendered page. */
export function sendHtml(reply: FastifyReply, statusCode: number, body: string): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(body)
}
