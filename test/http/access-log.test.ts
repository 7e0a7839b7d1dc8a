// The access log: one line per request at info, with the request and its answer together.
import { describe, expect, it } from 'vitest'
import { JSON_TYPE, send } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

interface Line {
  level: number
  msg: string
  reqId?: string
  req?: { method: string; url: string; host: string; remoteAddress: string; remotePort: number }
  res?: { statusCode: number }
  responseTime?: number
}

describe('the access log', () => {
  const lines: string[] = []
  const running = useApp('access_log', {}, { fastify: { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } } })

  const about = (id: string): Line[] => lines.map((line) => JSON.parse(line) as Line).filter((line) => line.reqId === id)

  it('writes one line per request with the request, the answer and the response time', async () => {
    const answer = await send(running.baseUrl, { method: 'POST', path: '/items/new/', headers: { ...JSON_TYPE, 'x-request-id': 'access-log-create' }, body: JSON.stringify({ name: 'Logged bucket', price: 1.5 }) })
    expect(answer.status).toBe(201)
    const written = about('access-log-create')
    expect(written).toHaveLength(1)
    const [line] = written
    expect(line).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'POST', url: '/items/new/', remoteAddress: '127.0.0.1' }, res: { statusCode: 201 } })
    expect(line?.req?.host).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(line?.req?.remotePort).toBeGreaterThan(0)
    expect(line?.responseTime).toBeGreaterThan(0)
  })

  it('logs refused and missing requests the same way', async () => {
    const answer = await send(running.baseUrl, { path: '/items/no-such-item/', headers: { 'x-request-id': 'access-log-missing' } })
    expect(answer.status).toBe(404)
    expect(about('access-log-missing')).toMatchObject([{ msg: 'request completed', req: { method: 'GET', url: '/items/no-such-item/' }, res: { statusCode: 404 } }])
  })
})
