// A name with a character that is not drawn inside it (Unicode Default_Ignorable_Code_Point, and U+2800
// BRAILLE PATTERN BLANK) is refused on every create route, naming the code point, so no two stored names
// differ only by invisible characters; reads, lists, prefix searches and the catalogue never show such a
// twin; a name stored before the rule stays readable. Through inject: these rules need no socket.
import fc from 'fast-check'
import { Long, ObjectId } from 'mongodb'
import { beforeAll, describe, expect, it } from 'vitest'
import { send, type Answer } from '../../harness/http.js'
import { migrateItemKeys } from '../../src/items/migration.js'
import { itemModel } from '../../src/items/stored-item.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('invisible_names')

// Every default-ignorable code point (4 174 in Unicode 16), from the engine's own Unicode tables.
const DEFAULT_IGNORABLE: string[] = []
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue
  const char = String.fromCodePoint(cp)
  if (/\p{Default_Ignorable_Code_Point}/u.test(char)) DEFAULT_IGNORABLE.push(char)
}
const INVISIBLE = [...DEFAULT_IGNORABLE, '\u2800']
// Bidirectional controls are refused by a rule of their own, with its own message.
const BIDI = /[\u202A-\u202E\u2066-\u2069]/u

const hex = (char: string): string => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
const BASE = 'twin-ab'
const twin = (char: string, at: number): string => BASE.slice(0, at) + char + BASE.slice(at)

const BOUNDARY = '----invisible-names'
function multipart(fields: Record<string, string>): Buffer {
  const parts = Object.entries(fields).map(([key, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`)
  return Buffer.from(parts.join('') + `--${BOUNDARY}--\r\n`)
}

/** A create of `name` on one of the three create routes, through inject. */
function create(route: 'json' | 'form' | 'multipart', name: string): Promise<Answer> {
  switch (route) {
    case 'json':
      return send(fx.app, { method: 'POST', path: '/items/new/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, price: 2 }) })
    case 'form':
      return send(fx.app, {
        method: 'POST',
        path: '/items/new/form/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name, price: '2' }).toString(),
      })
    case 'multipart':
      return send(fx.app, {
        method: 'POST',
        path: '/items/new/form/',
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        body: multipart({ name, price: '2' }),
      })
  }
}

beforeAll(async () => {
  expect((await create('json', BASE)).status).toBe(201)
})

describe('a name with an invisible character inside', () => {
  it(`is refused on the JSON, form and multipart routes for every one of the ${INVISIBLE.length} code points, naming it`, async () => {
    expect(DEFAULT_IGNORABLE.length).toBeGreaterThan(4_000)
    const wrong: string[] = []
    for (const [index, char] of INVISIBLE.entries()) {
      // Inside the name, at a place that moves with the code point; leading and trailing ones are tested below.
      const name = twin(char, 1 + (index % (BASE.length - 1)))
      const route = (['json', 'form', 'multipart'] as const)[index % 3] ?? 'json'
      const answer = await create(route, name)
      const expected = BIDI.test(char) ? 'bidirectional control' : hex(char)
      if (answer.status !== 422 || !answer.text.includes(expected)) wrong.push(`${hex(char)} ${route}: ${answer.status} ${answer.text.slice(0, 120)}`)
    }
    expect(wrong).toEqual([])
    expect(await fx.count()).toBe(1)
  })

  it('is refused on every create route wherever it stands, leading and trailing too (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...INVISIBLE),
        fc.integer({ min: 0, max: BASE.length }),
        fc.constantFrom('json' as const, 'form' as const, 'multipart' as const),
        async (char, at, route) => {
          const name = twin(char, at)
          const answer = await create(route, name)
          if (name.trim() === BASE) {
            // Names are trimmed, and trim removes U+FEFF at either end like a space: this is BASE's name. The
            // JSON create is BASE again (a safe retry, 200); the form's blank tax is 0, not BASE's null, so
            // there it is another item under BASE's name (409). Never a new item.
            expect(answer.status).toBe(route === 'json' ? 200 : 409)
            return
          }
          expect(answer.status).toBe(422)
          expect(answer.text).toContain(BIDI.test(char) ? 'bidirectional control' : hex(char))
        },
      ),
      // U+FEFF at either end on each route always, besides the random draws.
      { numRuns: 300, examples: [['\uFEFF', 0, 'json'], ['\uFEFF', 0, 'form'], ['\uFEFF', BASE.length, 'multipart']] },
    )
    expect(await fx.count()).toBe(1)
  })

  it('never reads, lists, prefix-matches or shows in the catalogue as another item (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...INVISIBLE), fc.integer({ min: 1, max: BASE.length - 1 }), async (char, at) => {
        const name = twin(char, at)
        const read = await send(fx.app, { path: `/items/${encodeURIComponent(name)}/` })
        expect(read.status).toBe(404)
        const prefix = await send(fx.app, { path: `/items/?prefix=${encodeURIComponent(BASE.slice(0, at) + char)}` })
        expect(prefix.status).toBe(200)
        expect((prefix.json as { items: unknown[] }).items).toEqual([])
        const page = await send(fx.app, { path: `/catalogue/${encodeURIComponent(name)}/` })
        expect(page.status).toBe(404)
      }),
      { numRuns: 60 },
    )
    const list = await send(fx.app, { path: '/items/?limit=100' })
    expect((list.json as { items: { name: string }[] }).items.map((item) => item.name)).toEqual([BASE])
  })

  it('a name stored before the rule stays readable, listed and shown', async () => {
    const legacy = 'legacy-a\u200Bb'
    await fx.items.collection.insertOne({ _id: legacy, priceCents: Long.fromNumber(300), description: null, taxCents: null, createdAt: new Date(), writeToken: new ObjectId() })
    // Stored without the derived keys, as before they existed: the migration (at every start, and npm run
    // migrate) gives it them, and then lists and searches find it.
    const { connection } = fx.app.db
    expect(await migrateItemKeys(connection, itemModel(connection), { log: fx.app.log })).toMatchObject({ ran: true, report: { updated: 1 } })
    const read = await send(fx.app, { path: `/items/${encodeURIComponent(legacy)}/` })
    expect(read.status).toBe(200)
    expect(read.json).toMatchObject({ name: legacy, price: 3 })
    const prefix = await send(fx.app, { path: '/items/?prefix=legacy' })
    expect((prefix.json as { items: { name: string }[] }).items.map((item) => item.name)).toEqual([legacy])
    expect((await send(fx.app, { path: `/catalogue/${encodeURIComponent(legacy)}/` })).status).toBe(200)
    expect((await send(fx.app, { path: '/catalogue/?q=legacy' })).text).toContain('legacy')
  })
})
