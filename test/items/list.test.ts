// GET /items/: people's name order, the limit's default and bounds, and paging with `after` / `next`.
import { beforeAll, describe, expect, it } from 'vitest'
import { LIST_LIMIT_MAX } from '../../src/items/schemas.js'
import { get, postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

interface Page {
  items: { name: string; price: number; description: string | null; tax: number | null }[]
  next: string | null
}

const fx = useApp('list')
// 45 names: three full pages of 15, some mixed case, digits and non-ASCII.
const NAMES = [
  ...Array.from({ length: 38 }, (_, i) => `item-${String(i).padStart(2, '0')}`),
  'Zebra',
  'apple',
  'Äpfel',
  '10 nails',
  '9 bolts',
  'ﬀ ligature',
  '😀 smile',
]
/** People's name order: case, accents and compatibility forms ignored first ("Äpfel" before "apple", "ﬀ" as "ff"). */
const SORTED = ['10 nails', '9 bolts', 'Äpfel', 'apple', 'ﬀ ligature', ...NAMES.filter((name) => name.startsWith('item-')), 'Zebra', '😀 smile']

beforeAll(async () => {
  // Inserted out of order, so the answer's order cannot come from insertion order.
  // 17 and 45 are coprime, so i * 17 % 45 visits every name once, out of order.
  const shuffled = NAMES.map((_, i) => NAMES[(i * 17) % NAMES.length] ?? '')
  for (let start = 0; start < shuffled.length; start += 9) {
    await Promise.all(
      shuffled.slice(start, start + 9).map(async (name, i) => {
        const created = await postJson(fx.baseUrl, { name, price: start + i + 1, description: `#${start + i}` })
        if (created.status !== 201) throw new Error(`could not create ${name}: ${created.text}`)
      }),
    )
  }
})

async function page(query: string): Promise<Page> {
  const answer = await get(fx.baseUrl, `/items/${query}`)
  expect(answer.status, answer.text).toBe(200)
  return answer.json as Page
}

describe('GET /items/', () => {
  it('gives 20 items by default, in name order, with `next` naming the last one', async () => {
    const first = await page('')
    expect(first.items.map((item) => item.name)).toEqual(SORTED.slice(0, 20))
    expect(first.next).toBe(SORTED[19])
  })

  it('gives whole items, the same as GET of each', async () => {
    const { items } = await page('?limit=3')
    for (const item of items) {
      expect(item).toEqual((await get(fx.baseUrl, `/items/${encodeURIComponent(item.name)}/`)).json)
    }
  })

  it(`takes limit 1 and limit ${LIST_LIMIT_MAX}`, async () => {
    const one = await page('?limit=1')
    expect(one.items.map((item) => item.name)).toEqual([SORTED[0]])
    expect(one.next).toBe(SORTED[0])
    const all = await page(`?limit=${LIST_LIMIT_MAX}`)
    expect(all.items.map((item) => item.name)).toEqual(SORTED)
    expect(all.next).toBeNull()
  })

  it('pages with `after` until `next` is null, every item exactly once', async () => {
    for (const limit of [7, 15, 45]) {
      const seen: string[] = []
      let after: string | null = null
      // Bounded: never more pages than items.
      for (let pages = 0; pages <= NAMES.length; pages++) {
        const query: string = `?limit=${limit}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`
        const current = await page(query)
        seen.push(...current.items.map((item) => item.name))
        if (current.next === null) break
        expect(current.items).toHaveLength(limit)
        expect(current.next).toBe(current.items.at(-1)?.name)
        after = current.next
      }
      expect(seen, `limit ${limit}`).toEqual(SORTED)
    }
  })

  it('says `next: null` on a last page that is exactly full', async () => {
    const last = await page(`?limit=15&after=${encodeURIComponent(SORTED[29] ?? '')}`)
    expect(last.items).toHaveLength(15)
    expect(last.next).toBeNull()
  })

  it('takes an `after` that is not a stored name, and answers an empty last page past the end', async () => {
    const between = await page(`?limit=2&after=${encodeURIComponent('item-05a')}`)
    expect(between.items.map((item) => item.name)).toEqual(['item-06', 'item-07'])
    const past = await page(`?after=${encodeURIComponent('\u{10FFFF}')}`)
    expect(past).toEqual({ items: [], next: null })
  })
})
