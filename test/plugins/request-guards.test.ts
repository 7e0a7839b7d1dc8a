// What every request must get right before a route runs: its Host, its query's escapes, its codings; and
// the headers of answers given before any route runs. Also the form route's own field rules.
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { DESCRIPTION_MAX_LENGTH } from '../../src/items/schemas.js'
import { FORM_TYPE, JSON_TYPE, get, postForm, send } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('request_guards')
const port = (): number => Number(new URL(fx.baseUrl).port)

const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options', 'x-frame-options']

describe('before any route runs', () => {
  it.each([
    ['a malformed escape', '/items/?after=%FF'],
    ['a truncated escape', '/items/?after=ab%2'],
    ['a bad escape in the limit', '/items/?limit=%zz'],
  ])('a query with %s is 400 with a detail', async (_label, path) => {
    const answer = await get(fx.baseUrl, path)
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({ detail: expect.stringMatching(/query string has a malformed or non-UTF-8 percent-escape/) as unknown })
  })

  it('a well-formed escaped query still works', async () => {
    expect((await get(fx.baseUrl, '/items/?after=%C3%A9&limit=2')).status).toBe(200)
  })

  it.each([
    ['the router: a bad path escape', '/items/%E0%A4%A/', 400],
    ['the router: an overlong path', `/items/${'a'.repeat(5_000)}/`, 414],
  ])('%s answers %i with the security headers and a detail', async (_label, path, status) => {
    const answer = await get(fx.baseUrl, path)
    expect(answer.status).toBe(status)
    expect((answer.json as { detail?: unknown }).detail).toEqual(expect.any(String))
    for (const header of SECURITY_HEADERS) expect(answer.headers[header], header).toBeDefined()
  })

  it('a request without Host is 400 with a detail and the security headers', async () => {
    // node:http always sends a Host, so this one is written by hand.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port(), '127.0.0.1', () => socket.end('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'))
      let text = ''
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
      socket.on('end', () => {
        resolve(text)
      })
      socket.on('error', reject)
    })
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(raw).toContain('"detail":"The request has no Host header; HTTP/1.1 requires one"')
    expect(raw.toLowerCase()).toContain('content-security-policy:')
  })

  it.each([
    ['Content-Encoding: gzip', { 'content-encoding': 'gzip' }, /Content-Encoding "gzip" is not supported/],
    ['Transfer-Encoding: gzip, chunked', { 'transfer-encoding': 'gzip, chunked' }, /Transfer-Encoding "gzip, chunked" is not supported/],
  ])('%s is 415 with a detail, and nothing is stored', async (_label, headers, message) => {
    const answer = await send(fx.baseUrl, {
      method: 'POST',
      path: '/items/new/',
      headers: { ...JSON_TYPE, ...headers },
      body: '{"name":"coded","price":1}',
    })
    expect(answer.status).toBe(415)
    expect((JSON.parse(answer.text) as { detail: string }).detail).toMatch(message)
    expect(await fx.stored('coded')).toBeNull()
  })
})

describe('the form route', () => {
  it('a field sent twice is 422 saying so, on the form page, and nothing is stored', async () => {
    const answer = await send(fx.baseUrl, {
      method: 'POST',
      path: '/items/new/form/',
      headers: FORM_TYPE,
      body: 'name=twice&price=1&price=2',
    })
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('Price was sent more than once; send each field once')
    expect(await fx.stored('twice')).toBeNull()
  })

  it('a description of the textarea’s full length, with CRLF line breaks, is stored with LF', async () => {
    const lines = Math.floor(DESCRIPTION_MAX_LENGTH / 10)
    const typed = Array.from({ length: lines }, () => 'x'.repeat(9)).join('\n')
    expect(typed.length).toBeLessThanOrEqual(DESCRIPTION_MAX_LENGTH)
    // What a browser sends for it: every line break as CRLF, over the limit if counted as two.
    const sent = typed.replaceAll('\n', '\r\n')
    expect(sent.length).toBeGreaterThan(DESCRIPTION_MAX_LENGTH)
    expect((await postForm(fx.baseUrl, { name: 'crlf', price: '1', description: sent })).status).toBe(303)
    expect((await fx.stored('crlf'))?.description).toBe(typed)
  })
})
