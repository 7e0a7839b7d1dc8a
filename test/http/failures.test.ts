// When things go wrong on the server side: the database unreachable answers 503 (a quick check with a closed
// port; test/reliability covers real outages, test/load/outage-latency how fast), and anything unexpected answers 500
// with no internals in the body while the log gets them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { FORM_TYPE, get, postForm, postJson, send } from '../../harness/http.js'
import { freeLoopbackPort } from '../../harness/ports.js'
import { testDbUri } from '../setup/test-app.js'

// Never connected: the fast path (calls fail before they are sent). A database that dies after the service
// connected, the slow path, is test/reliability/database-outage.test.ts.
describe('the database unreachable from the start', () => {
  let running: RunningApp
  let baseUrl: string

  beforeAll(async () => {
    const port = await freeLoopbackPort()
    running = await startApp({ mongodbUri: `mongodb://127.0.0.1:${port}/items` }, { waitForReady: false })
    baseUrl = running.baseUrl
  })
  afterAll(async () => {
    await running.close()
  })

  it.each([
    ['POST /items/new/', () => postJson(baseUrl, { name: 'down', price: 1 })],
    ['GET /items/<name>/', () => get(baseUrl, '/items/down/')],
    ['GET /items/', () => get(baseUrl, '/items/')],
    ['GET /readyz', () => get(baseUrl, '/readyz')],
  ])('%s answers 503 with a detail and Retry-After', async (_label, request) => {
    const answer = await request()
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('1')
    expect(answer.json).toEqual({ detail: expect.stringMatching(/database/i) as string })
  })

  it('answers the form with a 503 HTML page', async () => {
    const answer = await postForm(baseUrl, { name: 'down', price: '1' })
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('1')
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    expect(answer.text).toMatch(/<a\b[^>]*\bhref="\/"/)
  })

  it('still says the process is up, and still refuses bad input with 422 rather than 503', async () => {
    expect((await get(baseUrl, '/healthz')).status).toBe(200)
    expect((await postJson(baseUrl, { name: 'bad', price: 'abc' })).status).toBe(422)
    expect((await get(baseUrl, '/')).status).toBe(200)
  })
})

describe('an unexpected failure', () => {
  let running: RunningApp
  let baseUrl: string
  const logLines: string[] = []
  const SECRET = 'internal detail: mongodb://admin:hunter2@db-7/items at Repository.create'

  beforeAll(async () => {
    running = await startApp(
      { mongodbUri: testDbUri('failures') },
      {
        fastify: { logger: { level: 'info', stream: { write: (line: string) => logLines.push(line) } } },
        // Test-only routes that fail the way a programming error would.
        beforeListen(app) {
          app.get('/test-only/throws', () => {
            throw new TypeError(SECRET)
          })
          app.get('/test-only/rejects-with-status', async () => {
            throw Object.assign(new Error(SECRET), { statusCode: 502 })
          })
        },
      },
    )
    baseUrl = running.baseUrl
  })
  afterAll(async () => {
    await running.close()
  })

  function logged(): { level: number; msg: string; err?: { message?: string; stack?: string } }[] {
    return logLines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })
  }

  it.each(['/test-only/throws', '/test-only/rejects-with-status'])(
    'GET %s answers 500 {"detail": "Internal Server Error"} and logs the error',
    async (path) => {
      logLines.length = 0
      const answer = await get(baseUrl, path)
      expect(answer.status).toBe(500)
      expect(answer.headers['content-type']).toMatch(/^application\/json/)
      expect(answer.json).toEqual({ detail: 'Internal Server Error' })
      expect(answer.text).not.toContain('hunter2')
      expect(answer.text).not.toContain('stack')
      const errors = logged().filter((entry) => entry.level >= 50)
      expect(errors.map((entry) => entry.err?.message)).toContain(SECRET)
    },
  )

  it('answers 500 without internals when storage fails unexpectedly, on both channels', async () => {
    const create = vi.spyOn(running.app.items, 'create')
    create.mockRejectedValue(new RangeError(SECRET))
    try {
      logLines.length = 0
      const json = await postJson(baseUrl, { name: 'boom', price: 1 })
      expect(json.status).toBe(500)
      expect(json.json).toEqual({ detail: 'Internal Server Error' })

      const form = await send(baseUrl, { method: 'POST', path: '/items/new/form/', headers: FORM_TYPE, body: 'name=boom&price=1' })
      expect(form.status).toBe(500)
      expect(form.headers['content-type']).toMatch(/^text\/html/)
      expect(form.text).not.toContain('hunter2')
      expect(form.text).not.toContain('RangeError')
      expect(form.text).toMatch(/<a\b[^>]*\bhref="\/"/)

      expect(logged().filter((entry) => entry.level >= 50 && entry.err?.message === SECRET)).toHaveLength(2)
    } finally {
      create.mockRestore()
    }
    // The app is fine afterwards.
    expect((await postJson(baseUrl, { name: 'after-boom', price: 1 })).status).toBe(201)
  })
})
