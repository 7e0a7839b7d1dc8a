// Refusing costs the refuser nothing, over raw sockets: an answer given before the body arrived closes the
// connection and reads none of it; `Expect: 100-continue` gets the access check's answer, not `100 Continue`;
// one address holds at most its share of the connection slots; a half-sent head is dropped within seconds.
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessConfig, editor, newKey } from '../../harness/access.js'
import type { RunningApp } from '../../harness/app.js'
import { send } from '../../harness/http.js'
import { connectionShare } from '../../src/plugins/load-limits.js'
import { startTestApp } from '../setup/test-app.js'

const MAX_CONNECTIONS = 160
const key = newKey()
let running: RunningApp
let port: number

beforeAll(async () => {
  const access = accessConfig({ apiKeys: [{ label: 'ci', key }], editors: [await editor('alice', 'correct horse battery staple')], sessionSecret: newKey() })
  const loadLimits = { maxConnections: MAX_CONNECTIONS, bodyBudgetBytes: 16 * 2 ** 20, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, maxRssBytes: 0 }
  running = await startTestApp('refuse_and_close', { access, loadLimits })
  port = Number(new URL(running.baseUrl).port)
})
afterAll(() => running.close())

interface Exchange {
  socket: Socket
  /** Everything received so far. */
  received(): string
  /** Resolves with what was received once the server has closed the connection, or after `ms` with `open: true`. */
  closed(ms: number): Promise<{ text: string; open: boolean }>
}

/** A raw connection to the app (from `localAddress`, a loopback address) that writes `data` at once. */
function exchange(data: string, localAddress = '127.0.0.1'): Exchange {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  let text = ''
  let ended = false
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  const end = new Promise<void>((resolve) => {
    socket.once('close', () => {
      resolve()
    })
  })
  void end.then(() => (ended = true))
  socket.once('connect', () => socket.write(data))
  return {
    socket,
    received: () => text,
    async closed(ms) {
      await Promise.race([end, new Promise((resolve) => setTimeout(resolve, ms))])
      return { text, open: !ended }
    },
  }
}

/** Waits until `exchange` has received the end of an answer's head. */
async function headOf(connection: Exchange, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms
  while (!connection.received().includes('\r\n\r\n')) {
    if (Date.now() > deadline) throw new Error(`no answer within ${ms} ms; got ${JSON.stringify(connection.received())}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return connection.received()
}

describe('an answer before the body arrived', () => {
  it.each([
    ['401: a create without a key', 'POST /items/new/', 'application/json', 60_000, /^HTTP\/1\.1 401 /],
    ['303: the form, nobody signed in', 'POST /items/new/form/', 'application/x-www-form-urlencoded', 60_000, /^HTTP\/1\.1 303 /],
    ['413: a body over 64 KiB', 'POST /items/new/', 'application/json', 1_000_000, /^HTTP\/1\.1 (401|413) /],
    ['415: sign-in with multipart', 'POST /signin', 'multipart/form-data; boundary=x', 60_000, /^HTTP\/1\.1 415 /],
  ])('%s closes the connection (Connection: close) and reads none of the body', async (_label, line, type, length, status) => {
    const connection = exchange(`${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n{"name": "`)
    const head = await headOf(connection)
    expect(head).toMatch(status)
    expect(head.toLowerCase()).toContain('connection: close')
    // The server has closed its side rather than read on until the request timeout (10 s): waited for up to 8 s.
    const { open } = await connection.closed(8_000)
    connection.socket.destroy()
    expect(open).toBe(false)
  })

  it('Expect: 100-continue without a key gets the 401 and no 100 Continue; with a key, 100 Continue and then the 201', async () => {
    const body = JSON.stringify({ name: 'expects to continue', price: 1 })
    const head = (authorization: string) =>
      `POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n${authorization}\r\n`
    const refused = exchange(head(''))
    expect(await headOf(refused)).toMatch(/^HTTP\/1\.1 401 /)
    refused.socket.destroy()

    const allowed = exchange(head(`Authorization: Bearer ${key}\r\n`))
    expect(await headOf(allowed)).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/)
    allowed.socket.write(body)
    const deadline = Date.now() + 60_000
    while (!/HTTP\/1\.1 201 /.test(allowed.received()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    allowed.socket.destroy()
    expect(allowed.received()).toMatch(/HTTP\/1\.1 201 /)
  })
})

describe('connection slots', () => {
  it(`one address holds at most ${connectionShare(MAX_CONNECTIONS)} of ${MAX_CONNECTIONS}; another is still served; half-sent heads are dropped within seconds`, async () => {
    const share = connectionShare(MAX_CONNECTIONS)
    const halfHeads = Array.from({ length: share + 30 }, () => exchange('GET /items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'))
    const early = await Promise.all(halfHeads.map((connection) => connection.closed(4_000)))
    const refusedAtOnce = early.filter(({ open, text }) => !open && text === '').length
    expect(refusedAtOnce).toBeGreaterThanOrEqual(30)
    expect(early.filter(({ open }) => open).length).toBeLessThanOrEqual(share)
    // Another address is served meanwhile.
    const other = exchange('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', '127.0.0.2')
    expect(await headOf(other)).toMatch(/^HTTP\/1\.1 200 /)
    // The headers timeout (5 s, checked every second) drops the rest with 408.
    const late = await Promise.all(halfHeads.map((connection) => connection.closed(60_000)))
    expect(late.filter(({ open }) => open)).toEqual([])
    expect(late.filter(({ text }) => text !== '').every(({ text }) => text.startsWith('HTTP/1.1 408 '))).toBe(true)
    // And the address has its slots back.
    expect((await send(running.baseUrl, { path: '/healthz' })).status).toBe(200)
  })
})
