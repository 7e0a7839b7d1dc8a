// Money through inject (no socket needed): exact parsing of what was written, int64 hundredths in the database (never a
// double), and the exact value back as a JSON number.
import { Long } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { get, postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('money')

describe('stored shape', () => {
  it('keeps priceCents and taxCents as BSON int64 (Long), not double, even for small amounts', async () => {
    expect((await postJson(fx.app, { name: 'shape', price: 12.34, tax: 0.5 })).status).toBe(201)
    const stored = await fx.stored('shape')
    expect(stored?.priceCents).toBeInstanceOf(Long)
    expect(stored?.taxCents).toBeInstanceOf(Long)
    expect(stored?.priceCents.toString()).toBe('1234')
    expect(stored?.taxCents?.toString()).toBe('50')
    const items = fx.items.client.db().collection<{ _id: string }>('items')
    expect(await items.countDocuments({ _id: 'shape', priceCents: { $type: 'long' }, taxCents: { $type: 'long' } })).toBe(1)
    expect(await items.countDocuments({ priceCents: { $type: 'double' } })).toBe(0)
  })
})

describe('exact JSON numbers out', () => {
  // The body text itself is checked, not only the parsed value.
  it.each([
    ['12.34', 'p-12.34', 1234],
    ['100', 'p-100', 10000],
    ['0.3', 'p-0.3', 30],
    ['0.01', 'p-0.01', 1],
    ['0', 'p-0', 0],
    ['9999999999999.99', 'p-max', 999999999999999],
  ])('%s is stored as its hundredths and written back as %s', async (text, name, cents) => {
    const created = await postJson(fx.app, `{"name": "${name}", "price": ${text}, "tax": ${text}}`)
    expect(created.status).toBe(201)
    expect(created.text).toContain(`"price":${text},`)
    expect(created.text).toContain(`"tax":${text}}`)
    expect((await fx.stored(name))?.priceCents.toString()).toBe(String(cents))
    const read = await get(fx.app, `/items/${name}/`)
    expect(read.text).toBe(`{"name":"${name}","price":${text},"description":null,"tax":${text}}`)
  })
})

describe('what the client wrote is what counts', () => {
  it.each([
    ['the string "12.340"', '"12.340"', 1234, '12.34'],
    ['the string "1e2"', '"1e2"', 10000, '100'],
    ['the JSON number 1e2', '1e2', 10000, '100'],
    ['the JSON number 12.340', '12.340', 1234, '12.34'],
    ['the string ".5"', '".5"', 50, '0.5'],
    ['the string "-0"', '"-0"', 0, '0'],
  ])('%s is stored as %i hundredths', async (label, json, cents, answered) => {
    const name = `in ${label}`
    const created = await postJson(fx.app, `{"name": ${JSON.stringify(name)}, "price": ${json}}`)
    expect(created.status).toBe(201)
    expect(created.text).toContain(`"price":${answered},`)
    expect((await fx.stored(name))?.priceCents.toString()).toBe(String(cents))
  })

  // The original demo rounded 12.345 to a float; this service refuses it and stores nothing. The rules' table
  // is test/money.test.ts; these are the JSON numbers a double cannot hold, judged by their source text.
  it.each([
    ['12.3400000000000000001', 'decimal_max_places'],
    ['1e400', 'less_than_equal'],
    ['1e-400', 'decimal_max_places'],
  ])('%s is refused with type %s, not rounded', async (json, type) => {
    const before = await fx.count()
    const refused = await postJson(fx.app, `{"name": "refused", "price": ${json}}`)
    expect(refused.status).toBe(422)
    expect(refused.json).toEqual({ detail: [{ loc: ['body', 'price'], msg: expect.any(String) as string, type }] })
    expect(await fx.count()).toBe(before)
  })
})
