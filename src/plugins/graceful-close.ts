// On close, requests already in flight still finish, but their answers say `Connection: close`, and a
// request that arrives on a kept-alive socket after closing began gets 503 with a `detail`. Node
// drops idle keep-alive sockets only once, when closing starts; a socket whose request finishes later
// would otherwise idle until keepAliveTimeout and hold up the exit by seconds.
import fp from 'fastify-plugin'
import { HttpError } from '../http/errors.js'

export default fp(
  async function gracefulClose(fastify) {
    let closing = false
    fastify.addHook('preClose', async () => {
      closing = true
    })
    fastify.addHook('onRequest', async () => {
      if (closing) throw new HttpError(503, 'The service is shutting down; try again shortly')
    })
    fastify.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close')
    })
  },
  { name: 'graceful-close' },
)
