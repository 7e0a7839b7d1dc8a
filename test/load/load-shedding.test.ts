// Load shedding and the body budget (src/plugins/load-limits.ts), each with a threshold low enough to reach
// here: under pressure, new requests get 503 + Retry-After + a detail at once while /healthz answers and
// /readyz says not ready; a body beyond the budget is answered 503 unread until budget is free again.
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { detailOf, get, postJson } from '../../harness/http.js'
import { exchange } from '../../harness/raw.js'
import { useApp } from '../setup/test-app.js'

const NO_LIMITS = { maxConnections: 0, bodyBudgetBytes: 0, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, maxRssBytes: 0 }

describe('under pressure (a heap threshold of 1 byte)', () => {
  const running = useApp('shedding', { loadLimits: { ...NO_LIMITS, maxHeapUsedBytes: 1 } }, { waitForReady: false })
  beforeAll(async () => {
    // under-pressure samples once a second: wait until /readyz says it saw the pressure.
    // Bounded: at most 600 polls, 100 ms apart.
    for (let i = 0; i < 600 && !/under pressure/.test(String(detailOf(await get(running.baseUrl, '/readyz')))); i++) await sleep(100)
  })

  it('answers a create 503 with Retry-After and a detail, /healthz 200, /readyz 503 not ready', async () => {
    const base = running.baseUrl
    const create = await postJson(base, { name: 'pressed', price: 1 })
    expect(create.status).toBe(503)
    expect(create.headers['retry-after']).toMatch(/^\d+$/)
    expect(create.json).toEqual({ detail: expect.stringMatching(/^The service is overloaded \(heap use \d+ MiB\); try again in \d+ s$/) as unknown })
    expect((await get(base, '/healthz')).status).toBe(200)
    const ready = await get(base, '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.headers['retry-after']).toMatch(/^\d+$/)
    expect(ready.json).toEqual({ detail: expect.stringMatching(/^Not ready: the service is under pressure/) as unknown })
  })
})

describe('body budget (1 000 bytes)', () => {
  const running = useApp('budget', { loadLimits: { ...NO_LIMITS, bodyBudgetBytes: 1_000 } })

  it('a body that does not fit while another is being read: 503 + Retry-After, unread; once that one ends, it fits', async () => {
    const base = running.baseUrl
    const held = JSON.stringify({ name: 'held', price: 1, description: 'x'.repeat(800) })
    const holding = exchange(base, `POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${held.length}\r\n\r\n${held.slice(0, -10)}`)
    // Wait until the server holds the body's bytes: a small invalid create (422 when it fits, never stored)
    // is refused 503 from then on.
    const probe = { name: 'probe', price: 'not a price', description: 'y'.repeat(300) }
    await expect.poll(async () => (await postJson(base, probe)).status, { timeout: 60_000, interval: 50 }).toBe(503)

    const refused = await postJson(base, { name: 'second', price: 2, description: 'y'.repeat(300) })
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('1')
    expect(refused.headers.connection).toBe('close')
    expect(refused.json).toEqual({ detail: expect.stringContaining('request bodies') as unknown })
    // A request without a body is not counted.
    expect((await get(base, '/items/?limit=1')).status).toBe(200)

    holding.socket.write(held.slice(-10))
    expect(await holding.head()).toMatch(/^HTTP\/1\.1 201 /)
    holding.socket.destroy()
    expect((await postJson(base, { name: 'second', price: 2, description: 'y'.repeat(300) })).status).toBe(201)
  })
})
