// A request's body is read only once the route's checks have passed (access, media type, limits). Until then
// no `100 Continue` goes out (Node would send it at once), and an answer given before the whole body arrived
// (401, 303 to sign in, 413, 415, 429, 503) closes the connection: otherwise Node reads and discards the rest
// of the body to reuse the socket, for as long as the client keeps sending.
import fp from 'fastify-plugin'

export default fp(
  async function unreadBodies(fastify) {
    // With a listener of its own, Node leaves `Expect: 100-continue` to us: the request goes on as any other.
    fastify.server.on('checkContinue', (request, response) => fastify.server.emit('request', request, response))
    // preParsing runs after every onRequest hook, just before the body is read.
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      if (request.headers.expect?.toLowerCase() === '100-continue' && !reply.raw.headersSent) reply.raw.writeContinue()
      done(null, payload)
    })
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (!request.raw.complete) void reply.header('connection', 'close')
      done(null, payload)
    })
  },
  { name: 'unread-bodies' },
)
