// CORS for the JSON API only (CORS_ORIGINS): pages, the form and /signin are never cross-origin. The route is
// the one the router matched, so an escaped path (/items/new/%66orm/) is judged as the route it reaches.
import cors from '@fastify/cors'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/** The route a request reaches; for a preflight (OPTIONS, which has no route of its own) its path, unescaped once as the router does. */
function routeOf(request: FastifyRequest): string {
  const route = request.routeOptions.url
  if (route !== '*') return route ?? ''
  try {
    return decodeURIComponent(request.url.split('?', 1)[0] ?? '')
  } catch {
    return ''
  }
}

export default fp<{ origins: string[] }>(
  async function corsForTheApi(fastify, { origins }) {
    if (origins.length === 0) return
    const allowed = {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Location', 'Retry-After'],
      maxAge: 600,
    }
    await fastify.register(cors, {
      delegator: (request, callback) => {
        const route = routeOf(request)
        callback(null, route.startsWith('/items/') && !route.startsWith('/items/new/form') ? allowed : { origin: false })
      },
    })
  },
  { name: 'cors' },
)
