// Hostile input: hand-picked and generated requests that break the contract in every way we could think
// of. Each is answered with a 4xx that says what is wrong (HTML pages on the form route), never a 5xx,
// the process stays up, and nothing is stored.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js'
import { ItemListQuery, LIST_LIMIT_MAX, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { detailOf, FORM_TYPE, JSON_TYPE, send, type Answer, type Request } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

// Read from the schema: no constant of its own is exported.
const AFTER_MAX_LENGTH = (ItemListQuery.properties.after as { maxLength?: number }).maxLength ?? 0
const JSON_ROUTE = '/items/new/'
const FORM_ROUTE = '/items/new/form/'
// Each property runs this many generated cases; the total is counted and reported below.
const RUNS_PER_PROPERTY = 40

const fx = useApp('reliability_hostile')
let tried = 0

beforeAll(async () => {
  // One stored item, so the collection exists and there is something a bad request could damage.
  const seed = await send(fx.baseUrl, { method: 'POST', path: JSON_ROUTE, headers: JSON_TYPE, body: '{"name":"seed","price":1}' })
  expect(seed.status).toBe(201)
})

/** Sends one hostile request and checks the answer's shape; returns it for more specific checks. */
async function refused(request: Request, label: string): Promise<Answer> {
  tried++
  const answer = await send(fx.baseUrl, request)
  const where = `${label}: ${String(answer.status)} ${answer.text.slice(0, 200)}`
  expect(answer.status, where).toBeGreaterThanOrEqual(400)
  expect(answer.status, where).toBeLessThan(500)
  if (request.path.startsWith(FORM_ROUTE)) {
    expect(answer.contentType, where).toMatch(/^text\/html/)
  } else {
    const detail = detailOf(answer)
    expect(detail, where).toBeDefined()
    expect(typeof detail === 'string' ? detail.length : (detail as unknown[]).length, where).toBeGreaterThan(0)
  }
  return answer
}

const json = (body: Buffer | string, headers: Record<string, string | number> = JSON_TYPE): Request => ({
  method: 'POST',
  path: JSON_ROUTE,
  headers,
  body,
})
const form = (body: Buffer | string, headers: Record<string, string | number> = FORM_TYPE): Request => ({
  method: 'POST',
  path: FORM_ROUTE,
  headers,
  body,
})
const get = (path: string): Request => ({ path })
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))))

const nameTooLong = 'x'.repeat(NAME_MAX_LENGTH + 1)
const KIB = BODY_LIMIT_BYTES / 1024
const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

// [label, request, expected status or undefined for "any 4xx"]
const HAND_PICKED: [string, Request, number?][] = [
  // Malformed JSON
  ['truncated object', json('{'), 400],
  ['truncated member', json('{"name":'), 400],
  ['trailing garbage', json('{"name":"a","price":1}x'), 400],
  ['two documents', json('{"name":"a","price":1}{"name":"b","price":1}'), 400],
  ['comment', json('{"name":"a", /* */ "price":1}'), 400],
  // Huge and deep
  [`body over ${KIB} KiB`, json(JSON.stringify({ name: 'big', price: 1, description: 'x'.repeat(BODY_LIMIT_BYTES) })), 413],
  [`form over ${KIB} KiB`, form(`name=big&price=1&description=${'x'.repeat(BODY_LIMIT_BYTES)}`), 413],
  ['deeply nested object (10 000 levels)', json(nested(10_000)), 400],
  ['deeply nested price (30 000 levels)', json(`{"name":"deep","price":${'['.repeat(30_000)}${']'.repeat(30_000)}}`), 400],
  ['nested price (50 levels)', json(`{"name":"deep","price":${'['.repeat(50)}1${']'.repeat(50)}}`), 422],
  ['many keys', json(`{${Array.from({ length: 3000 }, (_, i) => `"k${i}":${i}`).join(',')},"name":"many"}`), 422],
  // Prototype poisoning
  ['nested __proto__ key', json('{"name":"p","price":1,"x":{"__proto__":{"polluted":true}}}'), 400],
  ['constructor.prototype with a bad price', json('{"constructor":{"prototype":{"polluted":true}},"name":"p","price":"x"}'), 422],
  ['constructor as the name', json('{"name":{"constructor":{"prototype":{"polluted":true}}},"price":1}'), 422],
  ['__proto__ in the form', form('__proto__[polluted]=1&name=p&price=x'), 422],
  ['constructor in the form', form('constructor[prototype][polluted]=1&price=1'), 422],
  // Operator objects where strings belong
  ['$gt as the name', json('{"name":{"$gt":""},"price":1}'), 422],
  ['$ne as the price', json('{"name":"op","price":{"$ne":null}}'), 422],
  ['$where as the tax', json('{"name":"op","price":1,"tax":{"$where":"sleep(1000)"}}'), 422],
  ['$regex as the description', json('{"name":"op","price":1,"description":{"$regex":".*"}}'), 422],
  ['$set as the name', json('{"name":{"$set":{"priceCents":0}},"price":1}'), 422],
  ['operator key in the form name', form('name[$gt]=&price=1'), 422],
  ['repeated form name', form('name=a&name=b&price=1'), 422],
  // Control characters and invalid UTF-8
  ['BEL in the name', json('{"name":"a\\u0007","price":1}'), 422],
  ['raw control byte in a JSON string', json(bytes('{"name":"a', [0x01], 'b","price":1}')), 400],
  ['invalid UTF-8 byte 0xFF', json(bytes('{"name":"u', [0xff, 0xfe], '","price":1}')), 400],
  ['truncated UTF-8 sequence', json(bytes('{"name":"u', [0xe2, 0x82], '","price":1}')), 400],
  ['overlong UTF-8 encoding of /', json(bytes('{"name":"u', [0xc0, 0xaf], '","price":1}')), 400],
  ['UTF-16 surrogate as UTF-8 bytes', json(bytes('{"name":"u', [0xed, 0xa0, 0x80], '","price":1}')), 400],
  ['NUL in the form name', form('name=a%00b&price=1'), 422],
  ['invalid UTF-8 escape in the form', form('name=w%FF%FE&price=1'), 400],
  ['raw invalid UTF-8 bytes in the form', form(bytes('name=w', [0xff, 0xfe], '&price=1')), 400],
  ['cut UTF-8 escape in the form', form('name=w%E2%82&price=1'), 400],
  ['malformed escape in the form', form('name=w%G1&price=1'), 400],
  ['dangling % in the form', form('name=w%&price=1'), 400],
  ['ESC in the form name', form('name=%1B%5B31m&price=1'), 422],
  // Lengths
  [`name of ${nameTooLong.length} characters after trim`, json(JSON.stringify({ name: `  ${nameTooLong}\t`, price: 1 })), 422],
  [`form name of ${nameTooLong.length} characters`, form(`name=${nameTooLong}&price=1`), 422],
  ['path parameter over 4 KiB', get(`/items/${'x'.repeat(5000)}/`), 414],
  ['URL over 16 KiB', get(`/items/${'x'.repeat(100_000)}/`), 431],
  ['header over 16 KiB', { path: '/items/', headers: { 'x-filler': 'x'.repeat(20_000) } }, 431],
  ['bad percent-encoding in the path', get('/items/%FF/'), 400],
  ['cut percent-encoding in the path', get('/items/%E0%A4%A/'), 400],
  ['path traversal', get('/items/..%2F..%2Fetc%2Fpasswd/'), 404],
  ['NUL in the path', get('/items/%00/'), 404],
  // Money (the rules' table is test/money.test.ts; these are what only the HTTP path sees)
  ['missing price', json('{"name":"m"}'), 422],
  ['form price abc', form('name=m&price=abc'), 422],
  ['form tax 1.001', form('name=m&price=1&tax=1.001'), 422],
  // Query parameters
  // (the limit's table is test/http/validation.test.ts)
  ...(['1e2x', '%00', '9999999999999999999999'] as const).map(
    (limit): [string, Request, number] => [`limit=${limit}`, get(`/items/?limit=${limit}`), 422],
  ),
  ['repeated limit', get('/items/?limit=1&limit=2'), 422],
  ['repeated after', get('/items/?after=a&after=b'), 422],
  [`after longer than ${AFTER_MAX_LENGTH} characters`, get(`/items/?after=${'a'.repeat(AFTER_MAX_LENGTH + 1)}`), 422],
  // Content types
  // (the common types and none at all: test/http/errors.test.ts)
  ...(['application/jsonp', 'application/json-patch+json', 'json', ''] as const).map((type): [string, Request, number] => [
    `JSON route with Content-Type "${type}"`,
    json('{"name":"ct","price":1}', { 'content-type': type }),
    415,
  ]),
  ...(['text/html', ''] as const).map(
    (type): [string, Request, number] => [
      `form route with Content-Type "${type}"`,
      form('name=ct&price=1', { 'content-type': type }),
      415,
    ],
  ),
  ['form route with a URL-encoded body labelled multipart', form('name=ct&price=1', { 'content-type': 'multipart/form-data; boundary=x' }), 400],
  ['empty form body', form(''), 422],
  // Broken HTTP
  ['Content-Length and chunked together', json('{}', { ...JSON_TYPE, 'transfer-encoding': 'chunked', 'content-length': 2 }), 400],
  ['unknown route', get('/items/new/nothing/here/'), 404],
  ['unknown method', { method: 'DELETE', path: '/items/seed/' }, 405],
]

// Strings that are never a valid amount: suffixing `#` makes any text unparsable.
const badPrice = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => `${s}#`),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.integer({ min: 1, max: 1_000_000 }).map((n) => n + 0.005),
  fc.double({ min: 1e14, max: 1e300, noNaN: true }),
)
const junkKeys = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('constructor', 'prototype', '$where', '$set', '_id', 'priceCents')),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 5 },
)
const controlChar = fc.constantFrom(...[...Array(32).keys(), 0x7f, 0x80, 0x85, 0x9f].map((c) => String.fromCharCode(c)))

describe('hostile input', () => {
  it(`answers ${HAND_PICKED.length} hand-picked and ${5 * RUNS_PER_PROPERTY} generated bad requests with a 4xx and a detail, and stores nothing`, async () => {
    const before = await fx.count()

    for (const [label, request, expected] of HAND_PICKED) {
      const answer = await refused(request, label)
      if (expected !== undefined) expect(answer.status, `${label}: ${answer.text.slice(0, 200)}`).toBe(expected)
    }

    const params = { numRuns: RUNS_PER_PROPERTY, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) }
    // Any JSON object with a bad price, valid or invalid name, and junk fields.
    await fc.assert(
      fc.asyncProperty(junkKeys, fc.oneof(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })), badPrice, async (junk, name, price) => {
        const answer = await refused(json(JSON.stringify({ ...junk, name, price })), 'generated JSON object')
        expect([400, 422]).toContain(answer.status)
      }),
      params,
    )
    // Random bytes on the JSON route.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (raw) => {
        const answer = await refused(json(Buffer.from(raw)), 'random bytes')
        expect([400, 422]).toContain(answer.status)
      }),
      params,
    )
    // Random text (with % signs mixed in) as a form body, with a price that can never be valid appended (a repeated price is
    // an array, which is refused too).
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200, unit: fc.oneof(fc.constantFrom('%', '=', '&', '+'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }), async (text) => {
        const answer = await refused(form(`${text}&price=%23`), 'random form body')
        // 400 when the text holds a broken percent-escape.
        expect([400, 422]).toContain(answer.status)
      }),
      params,
    )
    // A control character anywhere in an otherwise valid name.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 20 }), controlChar, fc.string({ maxLength: 20 }), async (head, control, tail) => {
        const answer = await refused(json(JSON.stringify({ name: `a${head}${control}${tail}a`, price: 1 })), 'control character')
        expect(answer.status).toBe(422)
      }),
      params,
    )
    // Any limit that is not a whole number from 1 to LIST_LIMIT_MAX.
    await fc.assert(
      fc.asyncProperty(
        // Ajv's coercion takes any text that Number() reads as a whole number (" 5", "5.0", "1e1").
        fc.string({ maxLength: 12 }).filter((s) => {
          const n = Number(s)
          return s === '' || !Number.isInteger(n) || n < 1 || n > LIST_LIMIT_MAX
        }),
        async (limit) => {
          const answer = await refused(get(`/items/?limit=${encodeURIComponent(limit)}`), `limit=${limit}`)
          expect(answer.status).toBe(422)
        },
      ),
      params,
    )

    expect(await fx.count()).toBe(before)
    const health = await send(fx.baseUrl, { path: '/healthz' })
    expect(health.status).toBe(200)
    // The app runs in this process: nothing reached Object.prototype.
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
    expect(tried).toBe(HAND_PICKED.length + 5 * RUNS_PER_PROPERTY)
    process.stderr.write(`[reliability] hostile input: ${tried} requests (fast-check seed ${params.seed}), all 4xx, stored count unchanged at ${before}\n`)
  })

  it('treats operator syntax in the query as plain text, never as a database operator', async () => {
    const all = await send(fx.baseUrl, get('/items/'))
    expect(all.status).toBe(200)
    // `after[$gt]` is not `after`; the parser does not build objects from brackets, so it is a parameter the
    // list does not take: 422, naming it.
    const bracket = await send(fx.baseUrl, get('/items/?after[$gt]='))
    expect(bracket.status).toBe(422)
    expect(JSON.parse(bracket.text)).toMatchObject({ detail: [{ loc: ['query', 'after[$gt]'], type: 'extra_forbidden' }] })
    // A literal "$gt" or "[object Object]" after-value is a name to compare with, so "seed" still follows.
    for (const after of ['$gt', '$ne', '[object Object]', '[$gt]']) {
      const answer = await send(fx.baseUrl, get(`/items/?after=${encodeURIComponent(after)}`))
      expect(answer.status).toBe(200)
      expect((JSON.parse(answer.text) as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['seed'])
    }
    // A name spelled like an operator is just a name that is not there.
    const lookup = await send(fx.baseUrl, get(`/items/${encodeURIComponent('{"$gt":""}')}/`))
    expect(lookup.status).toBe(404)
    expect(detailOf(lookup)).toBe('Item not found')
  })

  it('stores only the known fields of a valid body that also carries hostile keys', async () => {
    const body = '{"name":"carrier","price":"1.50","constructor":{"prototype":{"polluted":true}},"$set":{"priceCents":0},"_id":"other","priceCents":999}'
    const answer = await send(fx.baseUrl, json(body))
    expect(answer.status).toBe(201)
    expect(JSON.parse(answer.text)).toEqual({ name: 'carrier', price: 1.5, description: null, tax: null })
    const stored = await fx.stored('carrier')
    expect(stored).not.toBeNull()
    expect(Object.keys(stored ?? {}).sort()).toEqual(['_id', 'createdAt', 'description', 'keysVersion', 'nameKey', 'priceCents', 'sortName', 'taxCents', 'words', 'writeToken'])
    expect(stored?.priceCents.toNumber()).toBe(150)
    expect(await fx.stored('other')).toBeNull()
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
  })
})
