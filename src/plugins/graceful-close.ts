// On close, requests already in flight still finish, but their answers say `Connection: close` (Node
// drops idle keep-alive sockets only when closing starts, so a socket busy then would otherwise be kept
// and delay the exit), and a request that arrives on a kept-alive socket after closing began gets 503.
import fp from 'fastify-plugin'
import { HttpError } from '../http/errors.js'

export default fp(
  async function gracefulClose(fastify) {
    let closing = false
    fastify.addHook('preClose', async () => {
      closing = true
    })
    // Callback hooks: they run on every request, and an async one costs a promise each time.
    fastify.addHook('onRequest', (_request, _reply, done) => {
      done(closing ? new HttpError(503, 'The service is shutting down; try again shortly') : undefined)
    })
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) void reply.header('connection', 'close')
      done(null, payload)
    })
  },
  { name: 'graceful-close' },
)
