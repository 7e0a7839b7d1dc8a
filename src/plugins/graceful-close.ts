// On close, requests already in flight still finish, but their answers say `Connection: close`. Node
// drops idle keep-alive sockets only once, when closing starts; a socket whose request finishes later
// would otherwise idle until keepAliveTimeout and hold up the exit by seconds.
import fp from 'fastify-plugin'

export default fp(
  async function gracefulClose(fastify) {
    let closing = false
    fastify.addHook('preClose', async () => {
      closing = true
    })
    fastify.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close')
    })
  },
  { name: 'graceful-close' },
)
