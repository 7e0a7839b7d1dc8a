// What a page echoes of a request shows control and invisible characters as code points; a stale `result`
// on an item page is answered 422 like any unknown parameter; an unknown transfer coding gets one answer and the connection closes.
import { describe, expect, it } from 'vitest'
import { get, postJson } from '../../harness/http.js'
import { exchange } from '../../harness/raw.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('echoes')

// eslint-disable-next-line no-control-regex -- the control characters are what this looks for
const RAW_HIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u
const tagText = (page: string, tag: string): string => new RegExp(`<${tag}[^>]*>([^<]*)</${tag}>`).exec(page)?.[1] ?? ''

describe('echoed user text', () => {
  it('the catalogue search shows U+202E and U+200B from q as code points in its title and heading', async () => {
    const answer = await get(fx.baseUrl, `/catalogue/?q=${encodeURIComponent('ab\u202Ecd\u200B')}`)
    expect(answer.status).toBe(200)
    for (const tag of ['title', 'h1']) {
      expect(tagText(answer.text, tag)).toContain('ab[U+202E]cd[U+200B]')
      expect(tagText(answer.text, tag)).not.toMatch(RAW_HIDDEN)
    }
    expect(answer.text).toContain('Items matching “ab[U+202E]cd[U+200B]”')
    const prefix = await get(fx.baseUrl, `/catalogue/?prefix=${encodeURIComponent('ab\u202Ecd')}`)
    expect(tagText(prefix.text, 'h1')).toBe('Items whose name starts with “ab[U+202E]cd”')
  })

  it('the 404 page for /catalogue/a%00b%1b%7f%C2%9b/ shows NUL, ESC, DEL and a C1 control as code points, and no raw control anywhere', async () => {
    const answer = await get(fx.baseUrl, '/catalogue/a%00b%1b%7f%C2%9b/')
    expect(answer.status).toBe(404)
    expect(answer.text).toContain('a[U+0000]b[U+001B][U+007F][U+009B]')
    expect(answer.text).not.toMatch(RAW_HIDDEN)
  })
})

describe('item page', () => {
  it('/catalogue/Item1/?result=x: the unknown result is answered 422, naming it, and no notice', async () => {
    expect((await postJson(fx.baseUrl, { name: 'Item1', price: 1 })).status).toBe(201)
    const answer = await get(fx.baseUrl, '/catalogue/Item1/?result=x')
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('Unknown parameter result: this address takes none')
    expect(answer.text).not.toContain('role="status"')
  })
})

describe('Transfer-Encoding: xchunked', () => {
  it('gets one answer (415), then the connection closes', async () => {
    const { text: answer, open } = await exchange(
      fx.baseUrl,
      'POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n' +
        '1c\r\n{"name":"xchunked","price":1}\r\n0\r\n\r\n',
    ).closed(60_000)
    expect(open).toBe(false)
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 415'])
    expect(answer).toContain('Transfer-Encoding \\"xchunked\\" is not supported')
    expect((await get(fx.baseUrl, '/items/xchunked/')).status).toBe(404)
  })
})
