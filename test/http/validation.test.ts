// How request validation failures are reported (src/http/errors.ts), through the built app with
// `inject`: only requests that are refused before any database call, so no database is needed. The
// app points at a closed loopback port and keeps retrying in the background until it is closed.
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { sendError } from '../../src/http/errors.js'
import { registerValidation } from '../../src/http/validation.js'
import { DESCRIPTION_MAX_LENGTH, ItemListQuery, LIST_LIMIT_MAX, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postJson, type Answer } from '../../harness/http.js'
import { freeLoopbackPort } from '../../harness/ports.js'

interface FieldError {
  loc: string[]
  msg: string
  type: string
}

let app: FastifyInstance

beforeAll(async () => {
  const port = await freeLoopbackPort()
  app = await buildApp({ mongodbUri: `mongodb://127.0.0.1:${port}/unreachable`, dbOperationTimeoutMs: 200 }, { logger: false })
  await app.ready()
})

afterAll(async () => {
  await app.close()
})

function failure(answer: Answer): { status: number; detail: FieldError[] } {
  return { status: answer.status, detail: (answer.json as { detail: FieldError[] }).detail }
}

/** POSTs `body` serialized as JSON (a string too, so that a string body is a JSON string). */
async function postItem(body: unknown): Promise<{ status: number; detail: FieldError[] }> {
  return failure(await postJson(app, JSON.stringify(body)))
}

async function listItems(query: string): Promise<{ status: number; detail: FieldError[] }> {
  return failure(await get(app, `/items/?${query}`))
}

const valid = { name: 'Item1', price: 12.34 }

describe('422 body errors', () => {
  it.each<[string, Record<string, unknown>, string[], string]>([
    ['a missing name', { price: 1 }, ['body', 'name'], 'missing'],
    ['a missing price', { name: 'a' }, ['body', 'price'], 'missing'],
    ['an empty name', { ...valid, name: '' }, ['body', 'name'], 'string_too_short'],
    ['a blank name (empty once trimmed)', { ...valid, name: ' \t ' }, ['body', 'name'], 'string_too_short'],
    [`a ${NAME_MAX_LENGTH + 1}-character name`, { ...valid, name: 'x'.repeat(NAME_MAX_LENGTH + 1) }, ['body', 'name'], 'string_too_long'],
    [`${NAME_MAX_LENGTH + 1} emoji as the name (characters count, not UTF-16 units)`, { ...valid, name: '😀'.repeat(NAME_MAX_LENGTH + 1) }, ['body', 'name'], 'string_too_long'],
    ['a name with a NUL', { ...valid, name: 'a\u0000b' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a name with ESC', { ...valid, name: 'a\u001bb' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a name with a tab inside', { ...valid, name: 'a\tb' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a name with a newline inside', { ...valid, name: 'a\nb' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a name with DEL', { ...valid, name: 'a\u007fb' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a name with a C1 control', { ...valid, name: 'a\u0085b' }, ['body', 'name'], 'string_pattern_mismatch'],
    ['a numeric name', { ...valid, name: 5 }, ['body', 'name'], 'string_type'],
    ['a null name', { ...valid, name: null }, ['body', 'name'], 'string_type'],
    [`a ${DESCRIPTION_MAX_LENGTH + 1}-character description`, { ...valid, description: 'd'.repeat(DESCRIPTION_MAX_LENGTH + 1) }, ['body', 'description'], 'string_too_long'],
    ['a numeric description', { ...valid, description: 5 }, ['body', 'description'], 'union_type'],
    // The money rules' own table is test/money.test.ts (parseMoney); these show each field goes through it.
    ['a non-numeric price', { ...valid, price: 'Not a number' }, ['body', 'price'], 'decimal_parsing'],
    ['an object price', { ...valid, price: { amount: 1 } }, ['body', 'price'], 'decimal_type'],
    ['a boolean tax', { ...valid, tax: false }, ['body', 'tax'], 'decimal_type'],
  ])('%s', async (_label, body, loc, type) => {
    const { status, detail } = await postItem(body)
    expect(status).toBe(422)
    expect(detail).toHaveLength(1)
    expect(detail[0]).toEqual({ loc, msg: expect.any(String) as string, type })
    expect(detail[0]?.msg).toContain(loc[1])
  })

  it.each([
    ['an array', [valid]],
    ['a string', 'Item1'],
    ['a number', 12],
    ['null', null],
  ])('refuses %s as the body with loc ["body"]', async (_label, body) => {
    const { status, detail } = await postItem(body)
    expect(status).toBe(422)
    expect(detail).toEqual([{ loc: ['body'], msg: 'The request body must be a JSON object', type: 'model_attributes_type' }])
  })

  it('explains the money rules in plain words', async () => {
    const { detail } = await postItem({ name: 'a', price: 12.345, tax: -1 })
    const byField = Object.fromEntries(detail.map((entry): [string, string] => [entry.loc[1] ?? '', entry.msg]))
    expect(byField.price).toBe('price must have at most 2 digits after the decimal point')
    expect(byField.tax).toBe('tax must be at least 0')
  })

  it('says how long a name or description may be, also where null is allowed too', async () => {
    const { detail } = await postItem({ name: 'n'.repeat(NAME_MAX_LENGTH + 1), price: 1, description: 'd'.repeat(DESCRIPTION_MAX_LENGTH + 1) })
    const byField = Object.fromEntries(detail.map((entry): [string, string] => [entry.loc[1] ?? '', entry.msg]))
    expect(byField).toEqual({
      name: `name must be at most ${NAME_MAX_LENGTH} characters`,
      description: `description must be at most ${DESCRIPTION_MAX_LENGTH} characters`,
    })
  })

  it('checks the number as written, not its double: 12.3400000000000000001 is refused', async () => {
    const answer = await postJson(app, '{"name": "a", "price": 12.3400000000000000001}')
    expect(answer.status).toBe(422)
    expect(answer.json).toEqual({
      detail: [{ loc: ['body', 'price'], msg: expect.any(String) as string, type: 'decimal_max_places' }],
    })
  })
})

describe('422 query errors', () => {
  it.each([
    ['limit=0', 'greater_than_equal'],
    [`limit=${LIST_LIMIT_MAX + 1}`, 'less_than_equal'],
    ['limit=00000101', 'less_than_equal'],
    // Anything but plain digits: Ajv's coercion alone would read 0x10 as 16 and 1e1 as 10.
    ['limit=-1', 'int_parsing'],
    ['limit=abc', 'int_parsing'],
    ['limit=1.5', 'int_parsing'],
    ['limit=', 'int_parsing'],
    ['limit=0x10', 'int_parsing'],
    ['limit=1e1', 'int_parsing'],
    ['limit=%205', 'int_parsing'],
    ['limit=5%20', 'int_parsing'],
    ['limit=%2B5', 'int_parsing'],
  ])('%s is refused with loc ["query", "limit"]', async (query, type) => {
    const { status, detail } = await listItems(query)
    expect(status).toBe(422)
    expect(detail).toEqual([{ loc: ['query', 'limit'], msg: expect.stringContaining('limit') as string, type }])
  })

  it('refuses an `after` longer than any encoded name with loc ["query", "after"]', async () => {
    const { status, detail } = await listItems(`after=${'a'.repeat(((ItemListQuery.properties.after as { maxLength?: number }).maxLength ?? 0) + 1)}`)
    expect(status).toBe(422)
    expect(detail).toEqual([{ loc: ['query', 'after'], msg: expect.any(String) as string, type: 'string_too_long' }])
  })
})

describe('const and enum', () => {
  it('say which values are allowed', async () => {
    const fastify = Fastify({ logger: false })
    registerValidation(fastify, [])
    fastify.setErrorHandler((error, request, reply) => sendError(error, request, reply))
    const schema = { body: Type.Object({ unit: Type.Union([Type.Literal('kg'), Type.Literal('g')]), format: Type.Literal('csv'), rounding: Type.Unsafe({ enum: ['up', 'down'] }) }) }
    fastify.post('/check', { schema }, () => 'ok')
    const answer = await fastify.inject({ method: 'POST', url: '/check', payload: { unit: 'lb', format: 'json', rounding: 'sideways' } })
    const messages = (answer.json<{ detail: FieldError[] }>().detail).map((error) => error.msg)
    expect(messages.sort()).toEqual(['format must be "csv"', 'rounding must be one of "up", "down"', 'unit must be "kg" or "g"'])
    await fastify.close()
  })
})
