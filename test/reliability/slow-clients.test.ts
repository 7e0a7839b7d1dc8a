// Slow clients: a connection that trickles its headers or its body one byte at a time is cut off by the
// server's own timeouts (src/app.ts serverOptions), and does not hold up anyone else meanwhile.
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { serverOptions } from '../../src/app.js'
import { get, postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const { headersTimeout, requestTimeout } = serverOptions.http
// The client gives up after this long: well past the service's timeouts, short of the trickles' end and of
// Node's own defaults (60 s for headers, 300 s for a request), so a cut-off after it is not the service's.
const GIVE_UP_MS = 45_000
const TRICKLE_EVERY_MS = 300

const fx = useApp('reliability_slow')
const port = (): number => Number(new URL(fx.baseUrl).port)

interface Trickled {
  closedAfterMs: number
  bytesSent: number
  answer: string
}

/** Sends `head` at once, then `trickle` one byte every TRICKLE_EVERY_MS until the server closes the socket. */
async function trickle(head: string, trickleText: string, giveUpMs: number): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const socket = connect(port(), '127.0.0.1')
    const started = Date.now()
    let sent = 0
    let answer = ''
    let timer: NodeJS.Timeout | undefined
    const giveUp = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server kept a trickling connection open for ${giveUpMs} ms`))
    }, giveUpMs)
    socket.once('connect', () => {
      socket.write(head)
      timer = setInterval(() => {
        if (sent < trickleText.length && socket.writable) socket.write(trickleText.charAt(sent++))
      }, TRICKLE_EVERY_MS)
    })
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    // The server may reset rather than end; either way the socket closes.
    socket.on('error', () => undefined)
    socket.once('close', () => {
      clearInterval(timer)
      clearTimeout(giveUp)
      resolve({ closedAfterMs: Date.now() - started, bytesSent: sent, answer })
    })
  })
}

/** Normal requests, one after another, while `until` is pending; all must succeed. */
async function servedMeanwhile(until: Promise<unknown>): Promise<number> {
  const state = { done: false }
  void until.finally(() => (state.done = true))
  let served = 0
  // Bounded: at most 100 rounds of two requests, 100 ms apart.
  for (let round = 0; round < 100 && !state.done; round++) {
    expect((await get(fx.baseUrl, '/healthz')).status).toBe(200)
    expect((await postJson(fx.baseUrl, { name: `meanwhile-${round}`, price: round })).status).toBe(201)
    served += 2
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return served
}

// Concurrent: both wait on server timers, not on each other.
describe.concurrent('slow clients', () => {
  it(`cuts off trickled headers after headersTimeout (${headersTimeout} ms) and a trickled body after requestTimeout (${requestTimeout} ms), serving others meanwhile`, async () => {
    const slowHeaders = trickle('POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n', `X-Slow: ${'a'.repeat(200)}\r\n`, GIVE_UP_MS)
    const body = JSON.stringify({ name: 'trickled', price: 1, description: 'x'.repeat(100) })
    const slowBody = trickle(
      `POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      GIVE_UP_MS,
    )
    const both = Promise.all([slowHeaders, slowBody])
    const served = await servedMeanwhile(both)
    const [headers, bodyResult] = await both

    // Closed by the timeout: not before it, and while the client was still sending (a busy machine only
    // makes the cut later; how much later is not this test's business).
    expect(headers.closedAfterMs).toBeGreaterThanOrEqual(headersTimeout - 100)
    expect(headers.bytesSent).toBeLessThan(200)
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(headers.answer).toContain('"detail"')
    expect(bodyResult.closedAfterMs).toBeGreaterThanOrEqual(requestTimeout - 100)
    expect(bodyResult.bytesSent).toBeLessThan(body.length)
    expect(bodyResult.answer).toMatch(/^HTTP\/1\.1 408 /)
    // Others were served while the slow connections were open.
    expect(served).toBeGreaterThan(0)
    // The cut-off create left no trace.
    expect((await get(fx.baseUrl, '/items/trickled/')).status).toBe(404)
    process.stderr.write(
      `[reliability] slow clients: headers cut at ${headers.closedAfterMs} ms, body at ${bodyResult.closedAfterMs} ms; ${served} other requests served meanwhile\n`,
    )
  })

  it(`closes an idle keep-alive connection after keepAliveTimeout (${serverOptions.keepAliveTimeout} ms)`, async () => {
    const socket = connect(port(), '127.0.0.1')
    const started = Date.now()
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
    socket.on('error', () => undefined)
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const giveUp = setTimeout(() => {
        socket.destroy()
        reject(new Error('an idle keep-alive connection stayed open for 60 s'))
      }, 60_000)
      socket.once('close', () => {
        clearTimeout(giveUp)
        resolve(Date.now() - started)
      })
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(closedAfterMs).toBeGreaterThanOrEqual(serverOptions.keepAliveTimeout - 100)
  })
})
