// GET /items/?prefix=: names that start with the text, in name order, paged with after/next; a range on
// _id, so regex characters in the prefix are plain text.
import { beforeAll, describe, expect, it } from 'vitest'
import { NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postJson as postItem } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

interface Page {
  items: { name: string }[]
  next: string | null
}

const NAMES = [
  'car', 'card', 'cardigan', 'care', 'carp', 'cars', 'cat', 'Car', 'ca', 'c',
  'Čajník', 'Čaj', 'čaj', 'Ça va', '😀 smile', '😀😀', '\u{10FFFF}x', 'ab\u{10FFFF}', 'ab\u{10FFFF}z', 'ac',
  'a.c', 'abc', 'a*c', 'a(b', 'a\\b', 'a[1]', 'a+b', 'a?b', 'a^b', 'a$b', 'a|b',
]

const fx = useApp('prefix')
beforeAll(async () => {
  for (const name of NAMES) {
    const created = await postItem(fx.baseUrl, { name, price: 1 })
    if (created.status !== 201) throw new Error(`could not create ${name}: ${created.text}`)
  }
})

/** What a prefix search must answer: code point order, the order MongoDB compares strings in. */
function expected(prefix: string): string[] {
  const normalized = prefix.normalize('NFC')
  return NAMES.filter((name) => name.startsWith(normalized)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

async function search(query: string): Promise<Page> {
  const answer = await get(fx.baseUrl, `/items/?${query}`)
  expect(answer.status, answer.text).toBe(200)
  return answer.json as Page
}

describe('GET /items/?prefix=', () => {
  it.each(['car', 'card', 'ca', 'c', 'Car', 'cars', 'x', 'Č', 'Čaj', 'Ç', '😀', 'a', 'ab', 'ab\u{10FFFF}', '\u{10FFFF}'])(
    'prefix %j: exactly the names that start with it, in name order',
    async (prefix) => {
      const page = await search(`limit=100&prefix=${encodeURIComponent(prefix)}`)
      expect(page.items.map((item) => item.name)).toEqual(expected(prefix))
      expect(page.next).toBeNull()
    },
  )

  it.each(['a.', 'a*', 'a(', 'a\\', 'a[', 'a+', 'a?', 'a^', 'a$', 'a|', '.*', '^a', '\\'])('prefix %j is plain text, not a pattern', async (prefix) => {
    const page = await search(`limit=100&prefix=${encodeURIComponent(prefix)}`)
    expect(page.items.map((item) => item.name)).toEqual(expected(prefix))
  })

  it('case and accents count: "čaj" finds only the lower-case one', async () => {
    expect((await search('prefix=%C4%8Daj')).items.map((item) => item.name)).toEqual(['čaj'])
  })

  it('a decomposed prefix finds the composed names', async () => {
    const page = await search(`prefix=${encodeURIComponent('C\u030Caj')}`)
    expect(page.items.map((item) => item.name)).toEqual(['Čaj', 'Čajník'])
  })

  it('pages through the matches with after/next, and the last page says so', async () => {
    const all = expected('car')
    const seen: string[] = []
    let after: string | null = null
    for (let pages = 0; pages < 10; pages++) {
      const query: string = `limit=2&prefix=car${after === null ? '' : `&after=${encodeURIComponent(after)}`}`
      const page = await search(query)
      seen.push(...page.items.map((item) => item.name))
      after = page.next
      if (after === null) break
    }
    expect(seen).toEqual(all)
  })

  it('an empty prefix lists everything', async () => {
    expect((await search('limit=100&prefix=')).items).toHaveLength(NAMES.length)
  })

  it('a prefix follows the name rules: too long or with a control character is 422', async () => {
    const long = await get(fx.baseUrl, `/items/?prefix=${'a'.repeat(NAME_MAX_LENGTH + 1)}`)
    expect(long.status).toBe(422)
    expect(long.json).toEqual({ detail: [{ loc: ['query', 'prefix'], msg: `prefix must be at most ${NAME_MAX_LENGTH} characters`, type: 'string_too_long' }] })
    const control = await get(fx.baseUrl, '/items/?prefix=a%07')
    expect(control.status).toBe(422)
    expect(control.json).toEqual({ detail: [{ loc: ['query', 'prefix'], msg: 'prefix must not contain control characters', type: 'string_pattern_mismatch' }] })
  })
})
