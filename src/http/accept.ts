import type { FastifyRequest } from 'fastify'

/**
 * Whether the client asked for a page rather than JSON: its Accept header ranks text/html above
 * application/json. Browsers send text/html first; programs send application/json, *\/* or nothing.
 */
export function prefersHtml(request: FastifyRequest): boolean {
  const quality = new Map<string, number>()
  for (const entry of (request.headers.accept ?? '').split(',')) {
    const [type = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase())
    const q = params.find((param) => param.startsWith('q='))
    const value = q === undefined ? 1 : Number(q.slice(2))
    if (!quality.has(type)) quality.set(type, Number.isFinite(value) ? value : 0)
  }
  return (quality.get('text/html') ?? 0) > (quality.get('application/json') ?? 0)
}
