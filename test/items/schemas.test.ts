// The item's field rules through inject (they need no socket), with what was stored checked in the database itself.
import { describe, expect, it } from 'vitest'
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('item_rules')

interface Detail {
  detail: { loc: string[]; msg: string; type: string }[]
}

/** Posts an item that must be refused, and proves nothing was stored. */
async function expectRefused(item: Record<string, unknown>, loc: string[]): Promise<void> {
  const before = await fx.count()
  const answer = await postJson(fx.app, item)
  expect(answer.status).toBe(422)
  expect((answer.json as Detail).detail.map((entry) => entry.loc)).toContainEqual(loc)
  expect(await fx.count()).toBe(before)
}

describe('name', () => {
  it('is trimmed of surrounding whitespace before it is stored and used as the key', async () => {
    const answer = await postJson(fx.app, { name: ' \t Trimmed item \n ', price: 1 })
    expect(answer.status).toBe(201)
    expect(answer.json).toMatchObject({ name: 'Trimmed item' })
    expect(answer.headers['location']).toBe('/items/Trimmed%20item/')
    expect((await fx.stored('Trimmed item'))?._id).toBe('Trimmed item')
    expect((await get(fx.app, '/items/Trimmed%20item/')).status).toBe(200)
  })

  it(`may be ${NAME_MAX_LENGTH} characters, counted in characters, not bytes or UTF-16 units`, async () => {
    for (const name of ['a'.repeat(NAME_MAX_LENGTH), '😀'.repeat(NAME_MAX_LENGTH), 'é'.repeat(NAME_MAX_LENGTH - 1) + 'z']) {
      const answer = await postJson(fx.app, { name, price: 1 })
      expect(answer.status, `${name.length} UTF-16 units`).toBe(201)
      expect((await fx.stored(name))?._id).toBe(name)
    }
  })

  it('counts its length after trimming', async () => {
    const name = 'b'.repeat(NAME_MAX_LENGTH)
    expect((await postJson(fx.app, { name: `   ${name}   `, price: 1 })).status).toBe(201)
    expect(await fx.stored(name)).not.toBeNull()
  })

  it.each(['.', '..', ' .. '])('is refused when it is %j, a name no URL could read back', async (name) => {
    const answer = await postJson(fx.app, { name, price: 1 })
    expect(answer.status).toBe(422)
    expect((answer.json as Detail).detail).toEqual([
      { loc: ['body', 'name'], msg: expect.stringContaining('must not be "." or ".."') as unknown, type: 'name_reserved' },
    ])
  })

  it('may contain dots otherwise, readable through its encoded path', async () => {
    expect((await postJson(fx.app, { name: '...', price: 1 })).status).toBe(201)
    expect((await get(fx.app, '/items/.../')).json).toMatchObject({ name: '...' })
  })
})

describe('description', () => {
  it(`may be ${DESCRIPTION_MAX_LENGTH} characters, multi-line, and astral characters count once`, async () => {
    for (const [name, description] of [
      ['desc-max', 'd'.repeat(DESCRIPTION_MAX_LENGTH)],
      ['desc-emoji', '🪣'.repeat(DESCRIPTION_MAX_LENGTH)],
      ['desc-lines', 'line one\nline two\r\n\ttabbed'],
    ] as const) {
      const answer = await postJson(fx.app, { name, price: 1, description })
      expect(answer.status, name).toBe(201)
      expect(answer.json).toMatchObject({ description })
      expect((await fx.stored(name))?.description).toBe(description)
    }
  })

  it('is null when sent as null or left out, and "" stays ""', async () => {
    for (const [name, sent, expected] of [
      ['desc-null', null, null],
      ['desc-missing', undefined, null],
      ['desc-empty', '', ''],
    ] as const) {
      const answer = await postJson(fx.app, { name, price: 1, description: sent })
      expect(answer.status).toBe(201)
      expect((answer.json as { description: unknown }).description).toBe(expected)
      expect((await fx.stored(name))?.description).toBe(expected)
      expect((await get(fx.app, `/items/${name}/`)).json).toMatchObject({ description: expected })
    }
  })
})

describe('tax', () => {
  it.each([
    ['tax-number', 1.5, 1.5, 150],
    ['tax-string', '2.50', 2.5, 250],
    ['tax-zero', 0, 0, 0],
    ['tax-null', null, null, null],
    ['tax-missing', undefined, null, null],
  ] as const)('%s: sent %o, answered %o', async (name, sent, answered, storedCents) => {
    const answer = await postJson(fx.app, { name, price: 1, tax: sent })
    expect(answer.status).toBe(201)
    expect((answer.json as { tax: unknown }).tax).toBe(answered)
    const stored = await fx.stored(name)
    // Written as null, never left out: a missing field would read NaN here.
    const taxCents = stored?.taxCents
    expect(taxCents === null ? null : Number(taxCents?.toString())).toBe(storedCents)
    expect((await get(fx.app, `/items/${name}/`)).json).toMatchObject({ tax: answered })
  })
})

describe('text that is not Unicode', () => {
  it.each([
    ['a name', '{"name": "a\\ud800b", "price": 1}'],
    ['a description', '{"name": "lone-desc", "price": 1, "description": "d\\udfffe"}'],
  ])('refuses a lone surrogate escape in %s with 400 and stores nothing', async (_label, body) => {
    const before = await fx.count()
    const answer = await postJson(fx.app, body)
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({ detail: expect.stringContaining('surrogate') as string })
    expect(await fx.count()).toBe(before)
  })

  it('accepts an escaped surrogate pair as the character it encodes', async () => {
    const answer = await postJson(fx.app, '{"name": "smile \\ud83d\\ude00", "price": 1}')
    expect(answer.status).toBe(201)
    expect(answer.json).toMatchObject({ name: 'smile 😀' })
    expect(await fx.stored('smile 😀')).not.toBeNull()
  })
})

describe('unknown fields', () => {
  it('are ignored: neither answered nor stored, and cannot override the key or the money', async () => {
    const answer = await postJson(fx.app, {
      name: 'extra-fields',
      price: 3,
      color: 'red',
      _id: 'someone-else',
      priceCents: 1,
      taxCents: 99,
      createdAt: 'yesterday',
      nameKey: 'forged',
      words: ['forged'],
      nested: { $where: 'sleep(1000)' },
    })
    expect(answer.status).toBe(201)
    expect(answer.json).toEqual({ name: 'extra-fields', price: 3, description: null, tax: null })
    const stored = await fx.stored('extra-fields')
    expect(stored).not.toBeNull()
    // The item's fields and what the service derives from them (src/items/item-keys.ts), nothing sent.
    expect(Object.keys(stored ?? {}).sort()).toEqual(['_id', 'createdAt', 'description', 'keysVersion', 'nameKey', 'priceCents', 'sortName', 'taxCents', 'words', 'writeToken'])
    expect(stored?.priceCents.toString()).toBe('300')
    expect(stored?.taxCents).toBeNull()
    expect(stored?.createdAt).toBeInstanceOf(Date)
    expect(stored?.nameKey).toBe('extra-fields')
    expect(stored?.words).toEqual(['extra', 'fields'])
    expect(await fx.stored('someone-else')).toBeNull()
  })
})

describe('a request with one bad field', () => {
  it('is refused whole: the good fields are not stored either', async () => {
    for (const bad of [
      { tax: 'lots' },
      { description: 'x'.repeat(DESCRIPTION_MAX_LENGTH + 1) },
      { price: 12.345 },
    ]) {
      await expectRefused({ name: 'half-good', price: 1, description: 'fine', tax: 1, ...bad }, [
        'body',
        Object.keys(bad)[0] ?? '',
      ])
      expect(await fx.stored('half-good')).toBeNull()
    }
  })
})
