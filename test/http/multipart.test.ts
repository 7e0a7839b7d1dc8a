// multipart/form-data text fields are UTF-8: invalid bytes in any field are refused with 400 naming the
// field (never stored as U+FFFD), and a hostile body of thousands of delimiters is refused after one linear
// pass instead of being parsed part by part. Through inject: no socket needed.
import { describe, expect, it } from 'vitest'
import { MAX_PARTS } from '../../src/items/multipart.js'
import { send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('multipart_text')

const BOUNDARY = '----multipart-text'
const TYPE = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
const part = (name: string, value: Buffer | string, headers = ''): Buffer =>
  Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n${headers}\r\n`), Buffer.from(value), Buffer.from('\r\n')])
const end = Buffer.from(`--${BOUNDARY}--\r\n`)
const post = (...parts: Buffer[]): Promise<Answer> =>
  send(fx.app, { method: 'POST', path: '/items/new/form/', headers: TYPE, body: Buffer.concat([...parts, end]) })

describe('multipart text is UTF-8', () => {
  it.each([
    ['name', [part('name', Buffer.from([0x6d, 0x70, 0x38, 0x2d, 0xff])), part('price', '1')]],
    ['name', [part('name', Buffer.from([0x6d, 0x70, 0x38, 0x2d, 0xfe])), part('price', '1')]],
    ['description', [part('name', 'mp8 description'), part('price', '1'), part('description', Buffer.from([0x61, 0xc3]))]],
    ['price', [part('name', 'mp8 price'), part('price', Buffer.from([0x31, 0x80]))]],
    ['tax', [part('name', 'mp8 tax'), part('price', '1'), part('tax', Buffer.from([0xed, 0xa0, 0x80]))]],
  ])('invalid bytes in %s: 400 naming the field, nothing stored', async (field, parts) => {
    const answer = await post(...parts)
    expect(answer.status).toBe(400)
    expect(answer.text).toContain(`The ${field} field of the multipart body is not valid UTF-8`)
    expect(await fx.count()).toBe(0)
  })

  it('valid UTF-8 is stored exactly, with or without charset=utf-8 on the part', async () => {
    expect((await post(part('name', 'Čajník ☕'), part('price', '1'))).status).toBe(303)
    expect((await fx.stored('Čajník ☕'))?._id).toBe('Čajník ☕')
    expect((await post(part('name', 'Déclaré', 'Content-Type: text/plain; charset=UTF-8\r\n'), part('price', '1'))).status).toBe(303)
    expect((await fx.stored('Déclaré'))?._id).toBe('Déclaré')
  })

  it('a part declaring another charset: 400 naming the field', async () => {
    const answer = await post(part('name', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'Content-Type: text/plain; charset=iso-8859-1\r\n'), part('price', '1'))
    expect(answer.status).toBe(400)
    expect(answer.text).toContain('The name field of the multipart body declares charset iso-8859-1')
    expect(await fx.stored('café')).toBeNull()
  })
})

describe('hostile multipart bodies are refused in one pass', () => {
  it(`about 7 700 boundary lines in 62 KB: 413, more than ${MAX_PARTS} parts`, async () => {
    const body = Buffer.from(`--${BOUNDARY}\r\n\r\n\r\n`.repeat(7_700).slice(0, 62_000))
    const started = performance.now()
    const answer = await send(fx.app, { method: 'POST', path: '/items/new/form/', headers: TYPE, body })
    const ms = performance.now() - started
    expect(answer.status).toBe(413)
    expect(answer.text).toContain(`more than ${MAX_PARTS} parts`)
    process.stderr.write(`[multipart] ${body.length} bytes of delimiters refused in ${ms.toFixed(1)} ms (inject, whole request)\n`)
  })

  it(`${MAX_PARTS} parts are still parsed (the form's four fields, repeated)`, async () => {
    const parts = Array.from({ length: MAX_PARTS }, (_, i) => part(i % 2 === 0 ? 'note' : 'other', 'x'))
    const answer = await post(part('name', 'Many parts'), part('price', '1'), ...parts.slice(2))
    expect(answer.status).toBe(303)
    expect(await fx.stored('Many parts')).not.toBeNull()
  })
})
