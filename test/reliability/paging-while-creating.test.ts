// Keyset paging holds while items are created: paging through GET /items/ in each order (name, price,
// -price; with and without a search) while another client creates items that fall before, between and
// after the pages visits every item that existed at the start exactly once, never an item twice, and in the
// order asked for. Over real HTTP, with the creates running at the same time as the pages.
import { beforeAll, describe, expect, it } from 'vitest'
import { get, postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

// The creates queue behind FerretDB's one SQLite writer on a busy machine: this is about what is seen.
const fx = useApp('reliability_paging', { dbOperationTimeoutMs: 15_000 })

const WORDS = ['anchor', 'Bolt', 'bucket', 'Čajník', 'crate', 'drum', 'Ébauche', 'lamp', 'rope', 'zinc']
/** Names that spread over the whole order, with cases and accents mixed, and prices with many ties. */
const seedItem = (i: number): { name: string; price: number; description: string } => ({
  name: `${WORDS[i % WORDS.length] ?? ''} ${String(i).padStart(3, '0')}`,
  price: (i % 7) + 0.5,
  description: `tool number ${i}`,
})
const SEEDED = 90
const CREATED = 120

beforeAll(async () => {
  for (let start = 0; start < SEEDED; start += 15) {
    await Promise.all(
      Array.from({ length: 15 }, async (_, j) => {
        const created = await postJson(fx.baseUrl, seedItem(start + j))
        if (created.status !== 201) throw new Error(created.text)
      }),
    )
  }
})

interface Page {
  items: { name: string }[]
  next: string | null
}

/** Every page of `query` in turn, as a client pages: `next` as `after` until it is null (bounded). */
async function pageThrough(query: string): Promise<string[]> {
  const seen: string[] = []
  let after: string | null = null
  for (let pages = 0; pages < 200; pages++) {
    const path: string = `/items/?limit=5&${query}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`
    const answer = await get(fx.baseUrl, path)
    expect(answer.status, answer.text).toBe(200)
    const page = answer.json as Page
    seen.push(...page.items.map((item) => item.name))
    if (page.next === null) return seen
    after = page.next
  }
  throw new Error(`${query}: still paging after 200 pages`)
}

/** Creates `CREATED` items that land all over each order, a few at a time, while the pages are read. */
async function createMeanwhile(): Promise<void> {
  for (let i = 0; i < CREATED; i += 4) {
    await Promise.all(
      Array.from({ length: 4 }, async (_, j) => {
        const n = SEEDED + i + j
        // Before, between and after seeded names; prices among the seeded ones (ties) and beyond them.
        const created = await postJson(fx.baseUrl, { name: `${WORDS[n % WORDS.length] ?? ''} ${String(n % SEEDED).padStart(3, '0')}b${n}`, price: (n % 9) + 0.5, description: `tool number ${n}` })
        if (created.status !== 201) throw new Error(created.text)
      }),
    )
  }
}

/** `part` keeps the order of `whole`: every element of it is in `whole`, in the same order. */
function isOrderedWithin(part: string[], whole: string[]): boolean {
  let at = 0
  for (const name of part) {
    at = whole.indexOf(name, at)
    if (at === -1) return false
    at++
  }
  return true
}

describe('paging while items are created', () => {
  it('every order visits each item that existed at the start exactly once, in order', async () => {
    const queries = ['sort=name', 'sort=price', 'sort=-price', 'q=tool%20number&sort=-price&min_price=2']
    const before = new Map(await Promise.all(queries.map(async (query) => [query, await pageThrough(query)] as const)))
    const creating = createMeanwhile()
    const during = await Promise.all(queries.map((query) => pageThrough(query)))
    await creating
    for (const [i, query] of queries.entries()) {
      const existed = before.get(query) ?? []
      const seen = during[i] ?? []
      const after = await pageThrough(query)
      expect(existed.length, query).toBeGreaterThan(0)
      expect(new Set(seen).size, `${query}: an item seen twice`).toBe(seen.length)
      expect(existed.filter((name) => !seen.includes(name)), `${query}: items missed`).toEqual([])
      expect(isOrderedWithin(seen, after), `${query}: out of order`).toBe(true)
    }
    // The creates happened while the pages were read, or the test showed nothing.
    expect((await pageThrough('sort=name')).length).toBe(SEEDED + CREATED)
  })
})
