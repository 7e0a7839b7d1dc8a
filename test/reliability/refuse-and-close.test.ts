// Refusing costs the refuser nothing, over raw sockets: an answer given before the body arrived closes the
// connection and reads none of it; `Expect: 100-continue` gets the access check's answer, not `100 Continue`;
// one address holds at most its share of the connection slots; a half-sent head is dropped within seconds.
import { describe, expect, it } from 'vitest'
import { accessConfig, editor, newKey } from '../../harness/access.js'
import { send } from '../../harness/http.js'
import { exchange as rawExchange, type Exchange } from '../../harness/raw.js'
import { connectionShare } from '../../src/plugins/load-limits.js'
import { useApp } from '../setup/test-app.js'

const MAX_CONNECTIONS = 160
const key = newKey()
const running = useApp('refuse_and_close', async () => ({
  access: accessConfig({ apiKeys: [{ label: 'ci', key }], editors: [await editor('alice', 'correct horse battery staple')], sessionSecret: newKey() }),
  loadLimits: { maxConnections: MAX_CONNECTIONS, bodyBudgetBytes: 16 * 2 ** 20, maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0, maxRssBytes: 0 },
}))

const exchange = (data: string, localAddress?: string): Exchange => rawExchange(running.baseUrl, data, localAddress)

describe('an answer before the body arrived', () => {
  it.each([
    ['401: a create without a key', 'POST /items/new/', 'application/json', 60_000, /^HTTP\/1\.1 401 /],
    ['303: the form, nobody signed in', 'POST /items/new/form/', 'application/x-www-form-urlencoded', 60_000, /^HTTP\/1\.1 303 /],
    ['413: a body over 64 KiB', 'POST /items/new/', 'application/json', 1_000_000, /^HTTP\/1\.1 (401|413) /],
    ['415: sign-in with multipart', 'POST /signin', 'multipart/form-data; boundary=x', 60_000, /^HTTP\/1\.1 415 /],
  ])('%s closes the connection (Connection: close) and reads none of the body', async (_label, line, type, length, status) => {
    const connection = exchange(`${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n{"name": "`)
    const head = await connection.head()
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
    expect(await refused.head()).toMatch(/^HTTP\/1\.1 401 /)
    refused.socket.destroy()

    const allowed = exchange(head(`Authorization: Bearer ${key}\r\n`))
    expect(await allowed.head()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/)
    allowed.socket.write(body)
    expect(await allowed.until(/HTTP\/1\.1 201 /)).toMatch(/HTTP\/1\.1 201 /)
    allowed.socket.destroy()
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
    expect(await other.head()).toMatch(/^HTTP\/1\.1 200 /)
    // The headers timeout (5 s, checked every second) drops the rest with 408.
    const late = await Promise.all(halfHeads.map((connection) => connection.closed(60_000)))
    expect(late.filter(({ open }) => open)).toEqual([])
    expect(late.filter(({ text }) => text !== '').every(({ text }) => text.startsWith('HTTP/1.1 408 '))).toBe(true)
    // And the address has its slots back.
    expect((await send(running.baseUrl, { path: '/healthz' })).status).toBe(200)
  })
})
