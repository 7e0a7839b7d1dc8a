// GET /items/ as people search: words in the name or the description, case and accents ignored, the last
// word also as the start of a word, in several scripts; a price range; people's name order and the price
// orders, each paged with its cursor; and every parameter it does not know, or a bad value, answered 422
// naming it, on every JSON and page route.
import { beforeAll, describe, expect, it } from 'vitest'
import { send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('find')

interface Page {
  items: { name: string; price: number; description: string | null; tax: number | null }[]
  next: string | null
}

const ITEMS: { name: string; price: number; description: string | null }[] = [
  { name: 'Bucket', price: 12.5, description: 'A rusty old bucket, galvanised' },
  { name: 'bucket', price: 3, description: 'Plastic, for the beach' },
  { name: 'bucket list', price: 3, description: 'Things to do' },
  { name: 'Café crème', price: 4.2, description: 'Strong coffee with cream' },
  { name: 'naïve café crème', price: 5, description: null },
  { name: 'Čajník', price: 24.5, description: 'Czech teapot, cast iron' },
  { name: 'Zürich map', price: 7, description: 'Folded city map' },
  { name: 'Σφουγγάρι', price: 2, description: 'Greek sponge from the θάλασσας' },
  { name: 'Чайник', price: 30, description: 'Русский чайник, медный' },
  { name: '東京タワー', price: 99.99, description: '模型' },
  { name: 'STRASSE sign', price: 15, description: 'Straßenschild aus Blech' },
  { name: 'Ｔｅａ ｃｕｐ', price: 1.5, description: 'Fullwidth letters' },
  { name: 'Lamp', price: 40, description: 'Brass desk lamp; bulb not included' },
  { name: 'anchor', price: 1.5, description: 'Small, for a dinghy' },
  { name: 'Bolt', price: 1.5, description: null },
]

/** People's name order: case and accents ignored first, then the exact name; then scripts in Unicode's order. */
const BY_NAME = [
  'anchor', 'Bolt', 'Bucket', 'bucket', 'bucket list', 'Café crème', 'Čajník', 'Lamp', 'naïve café crème', 'STRASSE sign',
  'Ｔｅａ ｃｕｐ', 'Zürich map', 'Σφουγγάρι', 'Чайник', '東京タワー',
]
/** Cheapest first; equal prices by name. */
const BY_PRICE = [
  'anchor', 'Bolt', 'Ｔｅａ ｃｕｐ', 'Σφουγγάρι', 'bucket', 'bucket list', 'Café crème', 'naïve café crème', 'Zürich map', 'Bucket',
  'STRASSE sign', 'Čajník', 'Чайник', 'Lamp', '東京タワー',
]
/** Dearest first; equal prices still by name, A to Z. */
const BY_PRICE_DESC = [
  '東京タワー', 'Lamp', 'Чайник', 'Čajník', 'STRASSE sign', 'Bucket', 'Zürich map', 'naïve café crème', 'Café crème', 'bucket',
  'bucket list', 'Σφουγγάρι', 'anchor', 'Bolt', 'Ｔｅａ ｃｕｐ',
]

beforeAll(async () => {
  // Out of order, so no answer can come from insertion order.
  for (const item of [...ITEMS].reverse()) {
    const created = await send(fx.app, { method: 'POST', path: '/items/new/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(item) })
    if (created.status !== 201) throw new Error(`${item.name}: ${created.status} ${created.text}`)
  }
})

async function find(query: string): Promise<Page> {
  const answer = await send(fx.app, { path: `/items/?${query}` })
  expect(answer.status, `${query}: ${answer.text}`).toBe(200)
  return answer.json as Page
}
const names = (page: Page): string[] => page.items.map((item) => item.name)
const q = (text: string, more = ''): string => `limit=100&q=${encodeURIComponent(text)}${more}`

describe('finding by words', () => {
  it.each<[string, string, string[]]>([
    ['a word of the name', 'bucket', ['Bucket', 'bucket', 'bucket list']],
    ['in capitals', 'BUCKET', ['Bucket', 'bucket', 'bucket list']],
    ['the start of the last word', 'buck', ['Bucket', 'bucket', 'bucket list']],
    ['not the middle of a word', 'ucket', []],
    ['every word, in any order', 'old rusty', ['Bucket']],
    ['a word only the description has', 'galvanised', ['Bucket']],
    ['a name word and a description word', 'bucket beach', ['bucket']],
    ['without accents', 'cafe creme', ['Café crème', 'naïve café crème']],
    ['with other accents and case', 'CAFÉ crême', ['Café crème', 'naïve café crème']],
    ['a diaeresis left out', 'naive', ['naïve café crème']],
    ['Czech without its caron and acute', 'cajnik', ['Čajník']],
    ['Czech as written', 'Čajník', ['Čajník']],
    ['an earlier word whole, the last one begun', 'czech tea', ['Čajník']],
    ['an umlaut left out', 'zurich', ['Zürich map']],
    ['Cyrillic in capitals', 'ЧАЙНИК', ['Чайник']],
    ['a Cyrillic description word', 'медный', ['Чайник']],
    ['Greek without its accent', 'σφουγγαρι', ['Σφουγγάρι']],
    ['a Greek final sigma, in capitals', 'ΘΑΛΑΣΣΑΣ', ['Σφουγγάρι']],
    ['Japanese, the start of a word', '東京', ['東京タワー']],
    ['ß as ss', 'strassenschild', ['STRASSE sign']],
    ['ss as ß', 'straße', ['STRASSE sign']],
    ['fullwidth letters as plain ones', 'tea cup', ['Ｔｅａ ｃｕｐ']],
    ['a lone word is also the start of one', 'tea', ['Čajník', 'Ｔｅａ ｃｕｐ']],
    ['an earlier word must be whole', 'tea czech', []],
    ['punctuation between words', 'desk-lamp; BULB', ['Lamp']],
    ['a word nobody has', 'anvil', []],
  ])('%s: q=%j', async (_label, text, expected) => {
    expect(names(await find(q(text)))).toEqual(expected)
  })

  it('combines words with the price range and the order', async () => {
    expect(names(await find(q('cafe', '&max_price=4.5')))).toEqual(['Café crème'])
    expect(names(await find(q('bucket', '&sort=-price')))).toEqual(['Bucket', 'bucket', 'bucket list'])
    expect(names(await find(q('bucket', '&sort=price&min_price=3.00&max_price=3')))).toEqual(['bucket', 'bucket list'])
  })

  it('combines words with the start of the name, which still counts case', async () => {
    expect(names(await find(q('bucket', '&prefix=b')))).toEqual(['bucket', 'bucket list'])
    expect(names(await find('limit=100&prefix=B'))).toEqual(['Bolt', 'Bucket'])
  })

  it('an empty q finds everything; a q without any letter or digit is 422', async () => {
    expect(names(await find('limit=100&q='))).toEqual(BY_NAME)
    const answer = await send(fx.app, { path: '/items/?q=%21%21%21' })
    expect(answer.status).toBe(422)
    expect(answer.json).toEqual({ detail: [{ loc: ['query', 'q'], msg: 'q must contain a word: letters or digits', type: 'search_without_words' }] })
  })
})

describe('the orders', () => {
  it.each<[string, string, string[]]>([
    ['name (the default): people’s order', '', BY_NAME],
    ['name', '&sort=name', BY_NAME],
    ['price', '&sort=price', BY_PRICE],
    ['-price', '&sort=-price', BY_PRICE_DESC],
  ])('%s', async (_label, sort, expected) => {
    expect(names(await find(`limit=100${sort}`))).toEqual(expected)
  })

  it('filters by price, both ends included', async () => {
    expect(names(await find('limit=100&sort=price&min_price=5&max_price=24.50'))).toEqual(['naïve café crème', 'Zürich map', 'Bucket', 'STRASSE sign', 'Čajník'])
    expect(names(await find('limit=100&sort=price&max_price=1.5'))).toEqual(['anchor', 'Bolt', 'Ｔｅａ ｃｕｐ'])
    expect(names(await find('limit=100&min_price=99.99'))).toEqual(['東京タワー'])
    // A blank bound is no bound (the catalogue's form sends them blank).
    expect(names(await find('limit=100&min_price=&max_price='))).toEqual(BY_NAME)
  })

  it.each<[string, string[]]>([
    ['name', BY_NAME],
    ['price', BY_PRICE],
    ['-price', BY_PRICE_DESC],
  ])('sort=%s pages with `next` as `after`, every item exactly once, the last page saying so', async (sort, expected) => {
    for (const limit of [1, 2, 4, 15]) {
      const seen: string[] = []
      let after: string | null = null
      for (let pages = 0; pages <= expected.length; pages++) {
        const query: string = `limit=${limit}&sort=${sort}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`
        const page = await find(query)
        seen.push(...names(page))
        if (page.next === null) break
        // Name order's cursor is the last name, as the list always answered.
        if (sort === 'name') expect(page.next).toBe(page.items.at(-1)?.name)
        after = page.next
      }
      expect(seen, `limit ${limit}`).toEqual(expected)
    }
  })

  it('a cursor of another order, or made up, is 422 naming `after`', async () => {
    for (const after of ['Bucket', 'not-a-cursor', Buffer.from('[1]').toString('base64url')]) {
      const answer = await send(fx.app, { path: `/items/?sort=price&after=${encodeURIComponent(after)}` })
      expect(answer.status).toBe(422)
      expect(answer.json).toMatchObject({ detail: [{ loc: ['query', 'after'], type: 'cursor' }] })
    }
  })
})

describe('parameters that are not known, or bad values', () => {
  const detail = (answer: Answer): { loc: string[]; msg: string; type: string }[] => (answer.json as { detail: { loc: string[]; msg: string; type: string }[] }).detail

  it.each<[string, string, string[], RegExp]>([
    ['an unknown parameter', 'contains=ucket', ['query', 'contains'], /^unknown parameter contains: the parameters here are limit, after, q, prefix, min_price, max_price, sort$/],
    ['a misspelt one', 'serach=bucket', ['query', 'serach'], /^unknown parameter serach: /],
    ['an unknown order', 'sort=cheapest', ['query', 'sort'], /^sort must be one of "name", "price", "-price"$/],
    ['a price that is not one', 'min_price=cheap', ['query', 'min_price'], /^min_price must be a decimal number/],
    ['a price with three decimals', 'max_price=1.005', ['query', 'max_price'], /^max_price must have at most 2 digits after the decimal point/],
    ['a negative price', 'min_price=-1', ['query', 'min_price'], /^min_price must be at least 0/],
    ['a range upside down', 'min_price=5&max_price=1', ['query', 'max_price'], /^max_price must not be below min_price$/],
    ['a search too long', `q=${'a'.repeat(201)}`, ['query', 'q'], /^q must be at most 200 characters$/],
    ['a search with a control character', 'q=a%07b', ['query', 'q'], /^q must not contain control characters$/],
  ])('GET /items/ with %s: 422 naming it', async (_label, query, loc, msg) => {
    const answer = await send(fx.app, { path: `/items/?${query}` })
    expect(answer.status).toBe(422)
    expect(detail(answer)).toHaveLength(1)
    expect(detail(answer)[0]?.loc).toEqual(loc)
    expect(detail(answer)[0]?.msg).toMatch(msg)
  })

  it('names every unknown parameter at once', async () => {
    const answer = await send(fx.app, { path: '/items/?contains=a&order=price' })
    expect(detail(answer).map((error) => error.loc[1])).toEqual(['contains', 'order'])
  })

  it('on the other JSON routes: a read and a create, which stores nothing', async () => {
    const read = await send(fx.app, { path: '/items/Bucket/?fields=name' })
    expect(read.status).toBe(422)
    expect(detail(read)).toEqual([{ loc: ['query', 'fields'], msg: 'unknown parameter fields: this address takes none', type: 'extra_forbidden' }])
    const create = await send(fx.app, { method: 'POST', path: '/items/new/?dry_run=1', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Dry run', price: 1 }) })
    expect(create.status).toBe(422)
    expect(detail(create)[0]?.loc).toEqual(['query', 'dry_run'])
    expect(await fx.stored('Dry run')).toBeNull()
  })

  it('on the transfer routes: both exports, and the import, which stores nothing', async () => {
    for (const path of ['/export/items.csv?since=2020', '/export/items.ndjson?since=2020']) {
      const answer = await send(fx.app, { path })
      expect(answer.status, path).toBe(422)
      expect(detail(answer), path).toEqual([{ loc: ['query', 'since'], msg: 'unknown parameter since: this address takes none', type: 'extra_forbidden' }])
    }
    const imported = await send(fx.app, { method: 'POST', path: '/import/items?dry_run=1', headers: { 'content-type': 'text/csv' }, body: 'name,price\nDry import,1\n' })
    expect(imported.status, imported.text).toBe(422)
    expect(detail(imported)[0]?.loc, imported.text).toEqual(['query', 'dry_run'])
    expect(await fx.stored('Dry import')).toBeNull()
  })

  it.each<[string, string]>([
    ['the catalogue', '/catalogue/?contains=bucket'],
    ['an item page', '/catalogue/Bucket/?result=created'],
    ['the form', '/?utm=1'],
    ['the form’s address', '/items/new/form/?x=1'],
    ['the import page', '/import/?x=1'],
  ])('on %s: a 422 page naming it', async (_label, path) => {
    const answer = await send(fx.app, { path })
    expect(answer.status).toBe(422)
    expect(answer.contentType).toMatch(/^text\/html/)
    expect(answer.text).toMatch(/Unknown parameter (contains|result|utm|x): /)
  })

  it('on the form route, nothing is stored', async () => {
    const answer = await send(fx.app, { method: 'POST', path: '/items/new/form/?x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Form+query&price=1' })
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('Unknown parameter x: this address takes none')
    expect(await fx.stored('Form query')).toBeNull()
  })
})
