// Races: the unique _id decides, exactly one create of a name wins and the stored item is the winner's;
// many distinct creates at once are all stored and all readable, one by one and page by page.
import { describe, expect, it } from 'vitest'
import type { Cents } from '../../src/money.js'
import { DuplicateItemError } from '../../src/items/errors.js'
import type { Item } from '../../src/items/stored-item.js'
import { startApp } from '../../harness/app.js'
import { get, postJson } from '../../harness/http.js'
import { testDbUri, useApp } from '../setup/test-app.js'

interface ItemJson {
  name: string
  price: number
  description: string | null
  tax: number | null
}

// 500 creates at once queue behind the driver's pool and FerretDB's one SQLite writer, and can pass the
// app's 1.5 s per-call bound on a busy machine. These tests are about who wins and what is kept, not
// latency (test/load/outage-latency.test.ts holds the 2 s bound), so calls get room here.
const DB_OPERATION_TIMEOUT_MS = 15_000

const fx = useApp('reliability_races', { dbOperationTimeoutMs: DB_OPERATION_TIMEOUT_MS })

async function create(body: object): Promise<{ status: number; body: unknown }> {
  const answer = await postJson(fx.baseUrl, body)
  return { status: answer.status, body: answer.json }
}

describe('concurrent creates', () => {
  it('50 creates of one name at once: exactly one 201, 49 409s, and the stored item is the winner', async () => {
    const name = 'contested'
    // Different prices, so the stored one shows whose write won.
    const attempts = Array.from({ length: 50 }, (_, i) => create({ name, price: 100 + i + 0.25, description: `attempt ${i}` }))
    const answers = await Promise.all(attempts)

    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    const winner = answers.find((a) => a.status === 201)?.body as ItemJson
    for (const loser of answers.filter((a) => a.status === 409)) {
      expect((loser.body as { detail: string }).detail).toContain(name)
    }

    const read = await get(fx.baseUrl, `/items/${name}/`)
    expect(read.status).toBe(200)
    expect(read.json).toEqual(winner)
  })

  it('500 distinct creates at once: all 201, each readable, and the list pages through them without gaps or duplicates', async () => {
    // ASCII names of equal shape, so byte order (the database's) equals JavaScript's sort order.
    const names = Array.from({ length: 500 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`)
    const answers = await Promise.all(names.map((name, i) => create({ name, price: `${i}.${String(i % 100).padStart(2, '0')}` })))
    expect(answers.map((a) => a.status)).toEqual(names.map(() => 201))

    // Read each back, 50 at a time.
    for (let start = 0; start < names.length; start += 50) {
      const batch = names.slice(start, start + 50)
      const reads = await Promise.all(
        batch.map(async (name) => {
          const answer = await get(fx.baseUrl, `/items/${name}/`)
          return { status: answer.status, body: answer.json as ItemJson }
        }),
      )
      reads.forEach((read, j) => {
        const i = start + j
        expect(read.status).toBe(200)
        expect(read.body).toEqual({ name: names[i], price: Number(`${i}.${String(i % 100).padStart(2, '0')}`), description: null, tax: null })
      })
    }

    // Page through everything (the contested item from the other test may be there too), 100 per page.
    const seen: string[] = []
    let after: string | null = null
    for (let page = 0; page < 20; page++) {
      const query: string = after === null ? '' : `&after=${encodeURIComponent(after)}`
      const answer = await get(fx.baseUrl, `/items/?limit=100${query}`)
      expect(answer.status).toBe(200)
      const body = answer.json as { items: ItemJson[]; next: string | null }
      seen.push(...body.items.map((item) => item.name))
      after = body.next
      if (after === null) break
    }
    expect(after).toBeNull()
    const bulk = seen.filter((name) => name.startsWith('bulk-'))
    expect(bulk).toEqual(names)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual([...seen].sort())
  })
})

describe('creates gathered into one insert (repository.ts insertGrouped)', () => {
  const item = (name: string, cents: number): Item => ({ name, price: cents as Cents, description: null, tax: null })

  /** The documents of each insert the app sends while `run` runs. */
  async function inserts<T>(run: () => Promise<T>): Promise<{ result: T; sizes: number[] }> {
    const sizes: number[] = []
    const seen = ({ method, params }: { method: string; params: unknown[] }): void => {
      if (method === 'insertMany') sizes.push((params[0] as unknown[]).length)
    }
    const { connection } = fx.app.db
    connection.on('operation-start', seen)
    try {
      return { result: await run(), sizes }
    } finally {
      connection.off('operation-start', seen)
    }
  }

  it('20 creates of different names at once share one insert, and each is answered 201 and stored', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `grouped-${String(i).padStart(2, '0')}`)
    const { result, sizes } = await inserts(() => Promise.all(names.map((name, i) => fx.app.items.create(item(name, 100 + i), `key:group-${i}`))))
    expect(sizes).toEqual([20])
    expect(result.map((outcome) => [outcome.item.name, outcome.created])).toEqual(names.map((name) => [name, true]))
    for (const [i, name] of names.entries()) {
      // Each document is its own request's: its price and who created it.
      expect(await fx.app.items.findByName(name)).toEqual(item(name, 100 + i))
      expect(await fx.stored(name)).toMatchObject({ createdBy: `key:group-${i}` })
    }
  })

  it('20 creates of one name in one insert behave as racing creates: one created, the identical one safe, the others refused', async () => {
    const name = 'grouped-contested'
    // Prices 100..118, then 100 again: the last is identical to the first.
    const attempts = Array.from({ length: 20 }, (_, i) => item(name, 100 + (i % 19)))
    const { result, sizes } = await inserts(() => Promise.allSettled(attempts.map((attempt) => fx.app.items.create(attempt))))
    expect(sizes[0]).toBe(20)
    const created = result.filter((outcome) => outcome.status === 'fulfilled' && outcome.value.created)
    expect(created).toHaveLength(1)
    const refused = result.filter((outcome) => outcome.status === 'rejected')
    for (const outcome of refused) expect(outcome.reason).toBeInstanceOf(DuplicateItemError)
    // The first one is stored (an unordered insert writes in order), so its twin is answered as a safe retry.
    expect(result[0]).toMatchObject({ status: 'fulfilled', value: { created: true } })
    expect(result[19]).toMatchObject({ status: 'fulfilled', value: { created: false, item: attempts[0] } })
    expect(refused).toHaveLength(18)
    expect(await fx.app.items.findByName(name)).toEqual(attempts[0])
  })
})

describe('overload', () => {
  it('a create answered 503 because the database was too busy is never stored later; every 201 is', async ({ skip }) => {
    // One pooled connection, a 100 ms bound and 600 creates at once: the queue for that connection
    // outlasts the bound (600 inserts take far more than 100 ms one by one), so many answers are 503.
    const uri = testDbUri('reliability_overload')
    const overloaded = await startApp({ dbOperationTimeoutMs: 100, mongodbUri: `${uri}${uri.includes('?') ? '&' : '?'}maxPoolSize=1` })
    try {
      const names = Array.from({ length: 600 }, (_, i) => `over-${String(i).padStart(4, '0')}`)
      const statuses = await Promise.all(
        names.map(async (name) => (await postJson(overloaded.baseUrl, { name, price: 1 })).status),
      )
      expect(statuses.every((s) => s === 201 || s === 503)).toBe(true)
      // Let anything still running in the driver finish (bounded: 20 polls, 200 ms apart, until the
      // count stops changing), then compare.
      const items = (await overloaded.items()).collection
      let count = -1
      for (let poll = 0; poll < 20; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        const now = await items.countDocuments()
        if (now === count) break
        count = now
      }
      const stored = new Set((await items.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id))
      const answered201 = names.filter((_, i) => statuses[i] === 201)
      const answered503 = names.filter((_, i) => statuses[i] === 503)
      expect(answered201.filter((name) => !stored.has(name))).toEqual([])
      expect(answered503.filter((name) => stored.has(name))).toEqual([])
      expect(stored.size).toBe(answered201.length)
      // A machine fast enough to serve all 600 in time refuses none: then the 503 half proved nothing, and
      // the test says so as a skip rather than a failure of the service.
      skip(answered503.length === 0, 'no create was refused: this machine served the overload in time')
      process.stderr.write(
        `[reliability] overload: 600 creates, 1 connection, 100 ms bound: ${answered201.length} answered 201 (all stored), ${answered503.length} answered 503 (none stored)\n`,
      )
    } finally {
      await overloaded.close()
    }
  })
})
