// Names that look alike are one name (Unicode NFC on every route), and names nobody can see, or that
// display as another, are refused.
import { Long, ObjectId } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postForm, postJson as postItem } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('names')

const path = (name: string): string => `/items/${encodeURIComponent(name)}/`

describe('one spelling per name', () => {
  it.each([
    ['Čajník', 'Čajník'.normalize('NFC'), 'Čajník'.normalize('NFD')],
    ['Å (U+00C5) and A + ring (U+030A)', '\u00C5ngstr\u00F6m', 'A\u030Angstro\u0308m'],
    ['Å the angstrom sign (U+212B)', '\u00C5re', '\u212Bre'],
  ])('%s: stored once, in NFC, found by either spelling', async (_label, composed, decomposed) => {
    expect(composed).not.toBe(decomposed)
    const first = await postItem(fx.baseUrl, { name: decomposed, price: 1 })
    expect(first.status).toBe(201)
    expect((first.json as { name: string }).name).toBe(composed.normalize('NFC'))
    expect(first.headers.location).toBe(path(composed.normalize('NFC')))
    // The other spelling of a different item is the same name: 409.
    expect((await postItem(fx.baseUrl, { name: composed, price: 2 })).status).toBe(409)
    expect((await postForm(fx.baseUrl, { name: composed, price: '2' })).status).toBe(409)
    for (const spelling of [composed, decomposed]) {
      const read = await get(fx.baseUrl, path(spelling))
      expect(read.status).toBe(200)
      expect((read.json as { name: string }).name).toBe(composed.normalize('NFC'))
    }
    expect(await fx.stored(decomposed)).toBeNull()
    expect(await fx.stored(composed.normalize('NFC'))).not.toBeNull()
  })

  it('an item stored under a decomposed name before names were normalized is still found by that spelling', async () => {
    const legacy = 'Legacy Cafe\u0301'
    await fx.items.collection.insertOne({ _id: legacy, priceCents: Long.fromNumber(100), description: null, taxCents: null, createdAt: new Date(), writeToken: new ObjectId() })
    const read = await get(fx.baseUrl, path(legacy))
    expect(read.status).toBe(200)
    expect((read.json as { name: string }).name).toBe(legacy)
    expect((await get(fx.baseUrl, `/catalogue/${encodeURIComponent(legacy)}/`)).status).toBe(200)
  })

  it('the list cursor is normalized too: `after` in NFD skips the NFC name', async () => {
    expect((await postItem(fx.baseUrl, { name: 'zz-é', price: 1 })).status).toBe(201)
    expect((await postItem(fx.baseUrl, { name: 'zz-ê', price: 1 })).status).toBe(201)
    // Unnormalized, "zz-e" + U+0301 sorts before "zz-é" (U+00E9), which would be listed again.
    const page = await get(fx.baseUrl, `/items/?limit=1&after=${encodeURIComponent('zz-e\u0301')}`)
    expect(page.status).toBe(200)
    expect((page.json as { items: { name: string }[] }).items.map((item) => item.name)).toEqual(['zz-ê'])
  })

  it('the length rule counts the normalized name', async () => {
    // 200 decomposed "é" are 400 code units, 200 once composed.
    const name = 'e\u0301'.repeat(NAME_MAX_LENGTH)
    expect((await postItem(fx.baseUrl, { name, price: 1 })).status).toBe(201)
    expect((await postItem(fx.baseUrl, { name: 'e'.repeat(NAME_MAX_LENGTH) + '\u0301', price: 1 })).status).toBe(201)
    expect((await postItem(fx.baseUrl, { name: 'é'.repeat(NAME_MAX_LENGTH + 1), price: 1 })).status).toBe(422)
  })
})

describe('names nobody can see, or that display as another', () => {
  it.each([
    ['a zero-width space', '\u200B', 'name_invisible'],
    ['zero-width joiners and a word joiner', '\u200D\u200C\u2060', 'name_invisible'],
    ['an invisible times sign', '\u2062', 'name_invisible'],
    ['a soft hyphen', '\u00AD', 'name_invisible'],
    ['a Hangul filler', '\u3164', 'name_invisible'],
    ['an ideographic space between zero-width spaces', '\u200B\u3000\u200B', 'name_invisible'],
    ['a right-to-left override', 'abc\u202Eexe.txt', 'name_bidi_control'],
    ['a left-to-right embedding', '\u202Aname', 'name_bidi_control'],
    ['a first-strong isolate', 'a\u2068b\u2069', 'name_bidi_control'],
    ['a pop directional formatting', 'name\u202C', 'name_bidi_control'],
  ])('%s: 422 saying why, on both routes, nothing stored', async (_label, name, type) => {
    const json = await postItem(fx.baseUrl, { name, price: 1 })
    expect(json.status).toBe(422)
    const [error] = (json.json as { detail: { loc: string[]; msg: string; type: string }[] }).detail
    expect(error).toMatchObject({ loc: ['body', 'name'], type })
    expect(error?.msg).toMatch(type === 'name_invisible' ? /visible character/ : /bidirectional control/)
    const form = await postForm(fx.baseUrl, { name, price: '1' })
    expect(form.status).toBe(422)
    expect(form.text).toMatch(type === 'name_invisible' ? /visible character/ : /bidirectional control/)
    expect(await fx.stored(name)).toBeNull()
  })

  it('right-to-left scripts and combining marks are fine', async () => {
    for (const name of ['שלום', 'مرحبا', 'e\u0301']) {
      expect((await postItem(fx.baseUrl, { name, price: 1 })).status, name).toBe(201)
    }
  })
})
