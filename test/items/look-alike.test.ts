// One look, one name: beside a stored name, a name that reads the same (another space, runs of spaces,
// Cyrillic, Greek or fullwidth letters, Unicode's confusables) is answered 409 on both create routes,
// naming the stored item and linking to it, and nothing is stored; the identical item sent again is still
// the safe retry; case stays significant. Through inject: these rules need no socket.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('look_alike')

// Every space the issue met, and the rest of Unicode's White_Space that a name may hold inside.
const SPACES = ['\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000', '  ', '   ', ' \u00A0']
// Letters and digits that read as ASCII ones, each with the ASCII text it reads as.
const CONFUSABLE: [string, string][] = [
  ['\u0410', 'A'], // CYRILLIC CAPITAL LETTER A
  ['\u0391', 'A'], // GREEK CAPITAL LETTER ALPHA
  ['\uFF21', 'A'], // FULLWIDTH LATIN CAPITAL LETTER A
  ['\u0430', 'a'], // CYRILLIC SMALL LETTER A
  ['\u0435', 'e'], // CYRILLIC SMALL LETTER IE
  ['\u043E', 'o'], // CYRILLIC SMALL LETTER O
  ['\u03BF', 'o'], // GREEK SMALL LETTER OMICRON
  ['\u0456', 'i'], // CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
  ['\u0406', 'I'], // CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
  ['l', 'I'], // a small L reads as a capital i
  ['1', 'l'],
  ['0', 'O'],
  ['rn', 'm'],
  ['\uFF4D', 'm'], // FULLWIDTH LATIN SMALL LETTER M
  ['\uFB01', 'fi'], // LATIN SMALL LIGATURE FI (NFKC)
  ['\u212A', 'K'], // KELVIN SIGN
  ['\u2160', 'I'], // ROMAN NUMERAL ONE
]

const jsonCreate = (name: string, price = 1): Promise<Answer> =>
  send(fx.app, { method: 'POST', path: '/items/new/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, price }) })
const formCreate = (name: string, price = '1'): Promise<Answer> =>
  send(fx.app, { method: 'POST', path: '/items/new/form/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name, price }).toString() })

const htmlText = (text: string): string => text.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>')

/** Both routes refuse `lookAlike` with 409 naming `stored` and linking to it; nothing new is stored. */
async function expectRefused(lookAlike: string, stored: string): Promise<void> {
  const before = await fx.count()
  const json = await jsonCreate(lookAlike, 2)
  expect(json.status, JSON.stringify(lookAlike)).toBe(409)
  expect(json.headers.location).toBe(`/items/${encodeURIComponent(stored)}/`)
  expect((json.json as { detail: string }).detail).toContain(`"${stored}"`)
  const form = await formCreate(lookAlike, '2')
  expect(form.status, JSON.stringify(lookAlike)).toBe(409)
  expect(form.contentType).toMatch(/^text\/html/)
  expect(htmlText(form.text)).toContain(`<a href="/catalogue/${encodeURIComponent(stored)}/">see it</a>`)
  expect(htmlText(form.text)).toContain(`“${stored}”`)
  expect(await fx.count()).toBe(before)
  expect(await fx.stored(lookAlike)).toBeNull()
}

describe('a name that reads like a stored one', () => {
  it('each look-alike of "Item A" the issue met is answered 409 on both routes, naming "Item A"; the catalogue shows one row', async () => {
    expect((await jsonCreate('Item A')).status).toBe(201)
    const variants = [
      ...['\u00A0', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u202F', '\u205F', '\u3000', '\u1680', '\u2028', '  '].map((space) => `Item${space}A`),
      'Item \u0410',
      'Item \u0391',
      'Item \uFF21',
    ]
    for (const variant of variants) await expectRefused(variant, 'Item A')
    const catalogue = await send(fx.app, { path: '/catalogue/?q=item' })
    expect([...catalogue.text.matchAll(/<th scope="row" data-label="Name">/g)]).toHaveLength(1)
  })

  it('spaces and confusable letters anywhere in a stored name: 409 naming it, on both routes (property)', async () => {
    const stored = 'Old mill lamp Kit 10'
    expect((await jsonCreate(stored)).status).toBe(201)
    const spaceAt = [...stored.matchAll(/ /g)].map((match) => match.index)
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(spaceAt, { minLength: 0 }),
        fc.constantFrom(...SPACES),
        fc.subarray(CONFUSABLE.filter(([, reads]) => stored.includes(reads))),
        async (spaces, space, letters) => {
          let variant = Array.from(stored, (char, i) => (spaces.includes(i) ? space : char)).join('')
          for (const [lookAlike, reads] of letters) variant = variant.replace(reads, lookAlike)
          if (variant === stored) return
          await expectRefused(variant, stored)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('the identical item sent again is still a safe retry: 200 on JSON, the item page on the form', async () => {
    expect((await jsonCreate('Retry me', 3)).status).toBe(201)
    const again = await jsonCreate('Retry me', 3)
    expect(again.status).toBe(200)
    expect(again.headers.location).toBe('/items/Retry%20me/')
    expect((await send(fx.app, { method: 'POST', path: '/items/new/form/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Form+retry&price=4' })).status).toBe(303)
    const formAgain = await send(fx.app, { method: 'POST', path: '/items/new/form/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Form+retry&price=4' })
    expect(formAgain.status).toBe(303)
    expect(formAgain.headers.location).toBe('/catalogue/Form%20retry/')
  })

  it('the same item under a look-alike name is not a retry: 409, naming the stored one', async () => {
    await expectRefused('Retry\u00A0me', 'Retry me')
  })

  it('case stays significant: "bucket" and "Bucket" are two items', async () => {
    expect((await jsonCreate('bucket')).status).toBe(201)
    expect((await jsonCreate('Bucket')).status).toBe(201)
    expect((await formCreate('BUCKET')).status).toBe(303)
  })

  it('says which characters tell the names apart', async () => {
    const answer = await jsonCreate('Item\u00A0A')
    expect(answer.json).toEqual({
      detail: 'An item whose name reads the same is already present: "Item A" (the name sent has U+00A0 where the stored one has a character that looks the same); choose another name',
    })
  })
})
