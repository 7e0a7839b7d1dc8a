// Probes for orchestrators: /healthz says the process answers, /readyz that the database does too.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { RETRY_AFTER_S } from '../http/errors.js'
import { described, ErrorMessage } from '../http/schemas.js'

const Status = Type.Object({ status: Type.String() })

const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const bound = `${fastify.db.operationTimeoutMs / 1000} s`
  fastify.get(
    '/healthz',
    { logLevel: 'warn', schema: { tags: ['health'], summary: 'The process is up', response: { 200: described(Status, 'The process answers') } } },
    async () => ({ status: 'ok' }),
  )

  fastify.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'The database answers a ping',
        response: { 200: described(Status, 'The database answered a ping'), 503: described(ErrorMessage, `The database did not answer within ${bound}`) },
      },
    },
    async (_request, reply) => {
      if (await fastify.db.ping()) return { status: 'ready' }
      return reply.code(503).header('retry-after', RETRY_AFTER_S).send({ detail: 'The database is unavailable' })
    },
  )
}

export default healthRoutes
