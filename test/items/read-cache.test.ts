// The item read cache (src/items/read-cache.ts) over real HTTP: a stored item, once read, is answered from
// memory (JSON and page), even with the database frozen; a name with no item is not kept, so it answers 200
// as soon as the item is created; the bound in bytes holds and drops the least recently used item, as
// /metrics shows; and READ_CACHE_MB=0 (readCacheBytes: 0) turns it off.
import { beforeAll, describe, expect, it } from 'vitest'
import { startApp } from '../../harness/app.js'
import { findDatabase, type StoppableDatabase } from '../../harness/database.js'
import { get, postJson } from '../../harness/http.js'
import { metricValue, parseMetrics, type Sample } from '../../harness/metrics.js'
import { withDatabase } from '../../harness/mongo-uri.js'
import { startTestApp, useApp } from '../setup/test-app.js'

async function scrape(baseUrl: string): Promise<Sample[]> {
  const answer = await get(baseUrl, '/metrics')
  expect(answer.status).toBe(200)
  return parseMetrics(answer.text)
}

const lookups = (samples: Sample[], representation: 'json' | 'page', result: 'hit' | 'miss'): number =>
  metricValue(samples, 'item_cache_lookups_total', { representation, result })

describe('a stored item with the database frozen', () => {
  let db: StoppableDatabase
  beforeAll(async () => {
    // A database of this file's own: it is frozen (SIGSTOP), which no other file may see.
    db = await findDatabase(['ferretdb', 'container'])
    return () => db.dispose()
  })

  /** Creates an item and reads its JSON and page once, then freezes the database and reads them again. */
  async function readFrozen(readCacheBytes: number | undefined, database: string) {
    const running = await startApp({ mongodbUri: withDatabase(db.uri, database), ...(readCacheBytes === undefined ? {} : { readCacheBytes }) })
    const base = running.baseUrl
    try {
      expect((await postJson(base, { name: 'Frozen pail', price: 7.25, description: 'Kept in memory' })).status).toBe(201)
      const json = await get(base, '/items/Frozen%20pail/')
      const page = await get(base, '/catalogue/Frozen%20pail/')
      expect([json.status, page.status]).toEqual([200, 200])
      await db.freeze()
      try {
        // First that the database is really frozen (it stops within moments of the signal): a read of an item
        // never read before cannot be answered.
        const unread = await get(base, '/items/Never%20read/')
        const again = { json: await get(base, '/items/Frozen%20pail/'), page: await get(base, '/catalogue/Frozen%20pail/') }
        return { json, page, again, unread, metrics: await scrape(base) }
      } finally {
        await db.thaw()
      }
    } finally {
      await running.close()
    }
  }

  it('answers its JSON and its page from memory after the first read, with the same bytes', async () => {
    const { json, page, again, unread, metrics } = await readFrozen(undefined, 'frozen_cached')
    expect(unread.status).toBe(503)
    expect(again.json.status).toBe(200)
    expect(again.json.json).toEqual({ name: 'Frozen pail', price: 7.25, description: 'Kept in memory', tax: null })
    expect(again.json.text).toBe(json.text)
    expect(again.json.headers.etag).toBe(json.headers.etag)
    expect(again.page.status).toBe(200)
    expect(again.page.text).toBe(page.text)
    expect(again.page.text).toContain('Kept in memory')
    expect([lookups(metrics, 'json', 'hit'), lookups(metrics, 'json', 'miss')]).toEqual([1, 2])
    expect([lookups(metrics, 'page', 'hit'), lookups(metrics, 'page', 'miss')]).toEqual([1, 1])
  })

  it('with readCacheBytes 0 (READ_CACHE_MB=0) keeps nothing: every read goes to the database', async () => {
    const { again, unread, metrics } = await readFrozen(0, 'frozen_uncached')
    expect(unread.status).toBe(503)
    expect(again.json.status).toBe(503)
    expect(again.page.status).toBe(503)
    expect(metricValue(metrics, 'item_cache_bytes')).toBe(0)
    for (const representation of ['json', 'page'] as const) {
      expect(lookups(metrics, representation, 'hit') + lookups(metrics, representation, 'miss'), representation).toBe(0)
    }
  })
})

describe('a name with no item', () => {
  const fx = useApp('read_cache_404')

  it('answers 404 (no-cache) until the item is created, then 200 at once, as JSON and as a page', async () => {
    const paths = ['/items/Soon%20here/', '/catalogue/Soon%20here/']
    for (const path of paths) {
      for (let i = 0; i < 2; i++) {
        const missing = await get(fx.baseUrl, path)
        expect(missing.status, path).toBe(404)
        expect(missing.headers['cache-control'], path).toBe('no-cache')
        expect(missing.headers.etag, path).toBeUndefined()
      }
    }
    expect((await postJson(fx.baseUrl, { name: 'Soon here', price: 1 })).status).toBe(201)
    const [json, page] = await Promise.all(paths.map((path) => get(fx.baseUrl, path)))
    expect(json?.status).toBe(200)
    expect(json?.json).toEqual({ name: 'Soon here', price: 1, description: null, tax: null })
    expect(page?.status).toBe(200)
    expect(page?.text).toContain('<h1 class="name">Soon here</h1>')
  })

  it('finds a kept item under another Unicode spelling of its name, as the database lookup does', async () => {
    expect((await postJson(fx.baseUrl, { name: 'Caf\u00e9 mug', price: 3 })).status).toBe(201)
    const composed = await get(fx.baseUrl, `/items/${encodeURIComponent('Caf\u00e9 mug')}/`)
    const decomposed = await get(fx.baseUrl, `/items/${encodeURIComponent('Cafe\u0301 mug')}/`)
    expect(composed.status).toBe(200)
    expect(decomposed.text).toBe(composed.text)
    expect(decomposed.headers.etag).toBe(composed.headers.etag)
  })
})

describe('the bound', () => {
  const BOUND = 16 * 1024
  const fx = useApp('read_cache_bound', { readCacheBytes: BOUND })

  it(`never holds more than readCacheBytes (${BOUND} B) and drops the least recently used item first`, async () => {
    const names = Array.from({ length: 12 }, (_, i) => `Bounded ${String(i).padStart(2, '0')}`)
    for (const name of names) expect((await postJson(fx.baseUrl, { name, price: 2.5, description: 'x'.repeat(300) })).status).toBe(201)
    let held = 0
    for (const name of names) {
      expect((await get(fx.baseUrl, `/items/${encodeURIComponent(name)}/`)).status).toBe(200)
      expect((await get(fx.baseUrl, `/catalogue/${encodeURIComponent(name)}/`)).status).toBe(200)
      const samples = await scrape(fx.baseUrl)
      held = metricValue(samples, 'item_cache_bytes')
      expect(held, `after reading ${name}`).toBeGreaterThan(0)
      expect(held, `after reading ${name}`).toBeLessThanOrEqual(BOUND)
    }
    const before = await scrape(fx.baseUrl)
    const kept = metricValue(before, 'item_cache_items')
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(names.length)
    expect(metricValue(before, 'item_cache_evictions_total')).toBe(names.length - kept)

    // The most recently read item is still there; the first one read was dropped and is read again.
    await get(fx.baseUrl, `/items/${encodeURIComponent(names.at(-1) ?? '')}/`)
    const afterLast = await scrape(fx.baseUrl)
    expect(lookups(afterLast, 'json', 'hit') - lookups(before, 'json', 'hit')).toBe(1)
    await get(fx.baseUrl, `/items/${encodeURIComponent(names[0] ?? '')}/`)
    const afterFirst = await scrape(fx.baseUrl)
    expect(lookups(afterFirst, 'json', 'miss') - lookups(afterLast, 'json', 'miss')).toBe(1)
    expect(metricValue(afterFirst, 'item_cache_bytes')).toBeLessThanOrEqual(BOUND)
  })

  it('keeps nothing bigger than the bound itself, and still answers', async () => {
    const tiny = await startTestApp('read_cache_tiny', { readCacheBytes: 100 })
    try {
      expect((await postJson(tiny.baseUrl, { name: 'Too big', price: 1 })).status).toBe(201)
      for (let i = 0; i < 2; i++) expect((await get(tiny.baseUrl, '/items/Too%20big/')).status).toBe(200)
      const samples = await scrape(tiny.baseUrl)
      expect([metricValue(samples, 'item_cache_items'), lookups(samples, 'json', 'miss'), lookups(samples, 'json', 'hit')]).toEqual([0, 2, 0])
    } finally {
      await tiny.close()
    }
  })
})
