// Load shedding and the body budget (src/plugins/load-limits.ts), each with a threshold low enough to reach
// here: under pressure, new requests get 503 + Retry-After + a detail at once while /healthz answers and
// /readyz says not ready; a body beyond the budget is answered 503 unread until budget is free again.
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { detailOf, get, postJson } from '../../harness/http.js'
import { testDbUri } from '../setup/test-app.js'

const NO_LIMITS = { maxConnections: 0, bodyBudgetBytes: 0, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, maxRssBytes: 0 }

describe('under pressure (a heap threshold of 1 byte)', () => {
  let running: RunningApp | undefined
  beforeAll(async () => {
    running = await startApp({ mongodbUri: testDbUri('shedding'), loadLimits: { ...NO_LIMITS, maxHeapUsedBytes: 1 } }, { waitForReady: false })
    // under-pressure samples once a second: wait until /readyz says it saw the pressure.
    // Bounded: at most 600 polls, 100 ms apart.
    for (let i = 0; i < 600 && !/under pressure/.test(String(detailOf(await get(running.baseUrl, '/readyz')))); i++) await sleep(100)
  })
  afterAll(async () => {
    await running?.close()
  })

  it('answers a create 503 with Retry-After and a detail, /healthz 200, /readyz 503 not ready', async () => {
    const base = running?.baseUrl ?? ''
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
  let running: RunningApp | undefined
  beforeAll(async () => {
    running = await startApp({ mongodbUri: testDbUri('budget'), loadLimits: { ...NO_LIMITS, bodyBudgetBytes: 1_000 } })
  })
  afterAll(async () => {
    await running?.close()
  })

  it('a body that does not fit while another is being read: 503 + Retry-After, unread; once that one ends, it fits', async () => {
    const base = running?.baseUrl ?? ''
    const held = JSON.stringify({ name: 'held', price: 1, description: 'x'.repeat(800) })
    const socket: Socket = connect(Number(new URL(base).port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${held.length}\r\n\r\n${held.slice(0, -10)}`)
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

    socket.write(held.slice(-10))
    // Bounded: at most 60 s for the answer.
    for (let i = 0; i < 600 && !answer.includes('\r\n\r\n'); i++) await sleep(100)
    socket.destroy()
    expect(answer).toMatch(/^HTTP\/1\.1 201 /)
    expect((await postJson(base, { name: 'second', price: 2, description: 'y'.repeat(300) })).status).toBe(201)
  })
})
