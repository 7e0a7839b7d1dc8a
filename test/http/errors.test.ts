// Error answers of the JSON API over real HTTP: 400 malformed JSON, 415 content types, 413 body size,
// 409 duplicates that leave the stored item alone, and the exact 422 shape.
import { describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js'
import { NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { FORM_TYPE, get, postJson, send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('errors')

const LIMIT = BODY_LIMIT_BYTES
const KIB = `${BODY_LIMIT_BYTES / 1024} KiB`

/** A JSON item body of exactly `bytes` bytes, padded in an unknown field. */
function itemBodyOfSize(name: string, bytes: number): string {
  const head = `{"name":"${name}","price":1,"padding":"`
  const tail = '"}'
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail
}

/** POSTs `body` with the given Content-Type, or with none. */
function postAs(path: string, body: string, type: string | undefined): Promise<Answer> {
  return send(fx.baseUrl, { method: 'POST', path, headers: type === undefined ? {} : { 'content-type': type }, body })
}

/** The answer's `detail`, after checking the body is just {detail: string}. */
function detailText(json: unknown): string {
  expect(json).toEqual({ detail: expect.any(String) as string })
  return (json as { detail: string }).detail
}

describe('a UTF-8 byte order mark', () => {
  it('before the JSON is 400 with a detail that names it, and nothing is stored', async () => {
    const before = await fx.count()
    const answer = await postJson(fx.baseUrl, '\uFEFF{"name": "bom", "price": 1}')
    expect(answer.status).toBe(400)
    expect(detailText(answer.json)).toBe('The request body starts with a byte order mark (U+FEFF); send the JSON without it')
    expect(await fx.count()).toBe(before)
  })
})

describe('400 malformed JSON', () => {
  const NOT_JSON = /^The request body is not valid JSON: \S/
  const EMPTY = /^The request body is empty; send a JSON object$/
  it.each([
    ['a cut-off object', '{"name": "a", "price":', NOT_JSON],
    ['single quotes', "{'name': 'a', 'price': 1}", NOT_JSON],
    ['a trailing comma', '{"name": "a", "price": 1,}', NOT_JSON],
    ['a bare NaN', '{"name": "a", "price": NaN}', NOT_JSON],
    ['an empty body', '', EMPTY],
    ['only whitespace', '  \n ', EMPTY],
  ])('%s is 400 with a detail saying what is wrong', async (_label, body, detail) => {
    const before = await fx.count()
    const answer = await postJson(fx.baseUrl, body)
    expect(answer.status).toBe(400)
    expect(answer.headers['content-type']).toMatch(/^application\/json/)
    expect(detailText(answer.json)).toMatch(detail)
    expect(await fx.count()).toBe(before)
  })

  it('refuses a __proto__ key with 400', async () => {
    const answer = await postJson(fx.baseUrl, '{"name": "proto", "price": 1, "__proto__": {"admin": true}}')
    expect(answer.status).toBe(400)
    expect(detailText(answer.json)).toBe('The JSON body contains a forbidden "__proto__" key')
    expect(await fx.stored('proto')).toBeNull()
  })
})

describe('415 wrong content type', () => {
  it.each([
    ['/items/new/', 'text/plain'],
    ['/items/new/', 'application/x-www-form-urlencoded'],
    ['/items/new/', 'multipart/form-data; boundary=x'],
    ['/items/new/', 'application/xml'],
    ['/items/new', 'text/plain'],
    ['/items/new/', undefined],
  ])('POST %s with %s is 415 with a detail naming application/json', async (path, type) => {
    const answer = await postAs(path, '{"name": "typed", "price": 1}', type)
    expect(answer.status).toBe(415)
    expect(detailText(answer.json)).toBe(`Content-Type must be application/json, got ${type === undefined ? 'none' : `"${type.split(';')[0] ?? ''}"`}`)
    expect(await fx.stored('typed')).toBeNull()
  })

  it.each([
    ['/items/new/form/', 'application/json'],
    ['/items/new/form/', 'text/plain'],
    ['/items/new/form', 'application/json'],
    ['/items/new/form/', undefined],
  ])('POST %s with %s is 415 as an HTML page naming the form type', async (path, type) => {
    const answer = await postAs(path, 'name=typed&price=1', type)
    expect(answer.status).toBe(415)
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    expect(answer.text).toContain('application/x-www-form-urlencoded or multipart/form-data')
    expect(answer.text).toContain('href="/"')
    expect(await fx.stored('typed')).toBeNull()
  })

  it.each(['application/json; charset=utf-8', 'Application/JSON'])('accepts %s on the JSON route', async (type) => {
    const name = `type ${type}`
    const answer = await postAs('/items/new/', JSON.stringify({ name, price: 1 }), type)
    expect(answer.status).toBe(201)
  })
})

describe(`413 body over ${KIB}`, () => {
  it(`accepts a JSON body of exactly ${KIB}`, async () => {
    const body = itemBodyOfSize('exactly-64k', LIMIT)
    expect(Buffer.byteLength(body)).toBe(LIMIT)
    expect((await postJson(fx.baseUrl, body)).status).toBe(201)
  })

  it('refuses a JSON body one byte over with 413 and a detail', async () => {
    const answer = await postJson(fx.baseUrl, itemBodyOfSize('over-64k', LIMIT + 1))
    expect(answer.status).toBe(413)
    expect(detailText(answer.json)).toBe(`The request body is larger than ${KIB}`)
    expect(await fx.stored('over-64k')).toBeNull()
  })

  it(`refuses a form body over ${KIB} with 413 as HTML`, async () => {
    const body = `name=big-form&price=1&description=${'d'.repeat(LIMIT)}`
    const answer = await postAs('/items/new/form/', body, FORM_TYPE['content-type'])
    expect(answer.status).toBe(413)
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    expect(answer.text).toContain(KIB)
    expect(await fx.stored('big-form')).toBeNull()
  })
})

describe('409 duplicate', () => {
  it('refuses a second item of the same name with a detail and keeps the first exactly', async () => {
    const first = await postJson(fx.baseUrl, { name: 'Bucket', price: 12.34, description: 'Rusty old bucket', tax: 1 })
    expect(first.status).toBe(201)
    const storedBefore = await fx.stored('Bucket')

    for (const again of [
      { name: 'Bucket', price: 99, description: 'replaced?', tax: null },
      { name: '  Bucket  ', price: 1 },
    ]) {
      const duplicate = await postJson(fx.baseUrl, again)
      expect(duplicate.status).toBe(409)
      expect(detailText(duplicate.json)).toBe('An item named "Bucket" is already present')
    }

    expect(await fx.stored('Bucket')).toEqual(storedBefore)
    expect((await get(fx.baseUrl, '/items/Bucket/')).json).toEqual(first.json)
  })

  it('is case-sensitive: "bucket" is another item', async () => {
    await postJson(fx.baseUrl, { name: 'Pail', price: 1 })
    expect((await postJson(fx.baseUrl, { name: 'pail', price: 2 })).status).toBe(201)
  })
})

describe('422 shape', () => {
  it('is exactly {detail: [{loc, msg, type}]}, one entry per bad field, loc starting with "body"', async () => {
    const answer = await postJson(fx.baseUrl, { name: 'x'.repeat(NAME_MAX_LENGTH + 1), price: 'cheap', description: ['no'], tax: -2, extra: 1 })
    expect(answer.status).toBe(422)
    expect(answer.headers['content-type']).toMatch(/^application\/json/)
    const body = answer.json as { detail: { loc: string[]; msg: string; type: string }[] }
    expect(Object.keys(body)).toEqual(['detail'])
    expect(body.detail.map((entry) => entry.loc).sort()).toEqual([
      ['body', 'description'],
      ['body', 'name'],
      ['body', 'price'],
      ['body', 'tax'],
    ])
    for (const entry of body.detail) {
      expect(Object.keys(entry).sort()).toEqual(['loc', 'msg', 'type'])
      expect(entry.msg).toMatch(new RegExp(`^${entry.loc[1] ?? ''} `))
      expect(entry.type).toMatch(/^[a-z_]+$/)
    }
  })

  it('uses loc ["query", ...] for the query string', async () => {
    const answer = await get(fx.baseUrl, '/items/?limit=0')
    expect(answer.status).toBe(422)
    expect((answer.json as { detail: { loc: string[] }[] }).detail.map((entry) => entry.loc)).toEqual([['query', 'limit']])
  })
})
