// The stored document's schema (src/items/stored-item.ts) checks every write: a record the API should never
// have let through is refused before it is sent, answered 500 with a log line, and nothing is stored. The
// start survives a server without collection validators (FerretDB); where the server has them (MongoDB),
// the collection refuses what the schema refuses from any writer.
import { Long, ObjectId } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { get, postJson } from '../../harness/http.js'
import type { ItemsCollection } from '../../harness/items.js'
import type { Item } from '../../src/items/stored-item.js'
import { MAX_CENTS, type Cents } from '../../src/money.js'
import { testDbUri } from '../setup/test-app.js'

const GOOD: Item = { name: 'good', price: 100 as Cents, description: null, tax: null }

describe('the stored document', () => {
  let running: RunningApp
  let items: ItemsCollection
  const logLines: string[] = []
  let record: Item = GOOD

  beforeAll(async () => {
    running = await startApp(
      { mongodbUri: testDbUri('stored_document') },
      {
        fastify: { logger: { level: 'info', stream: { write: (line: string) => logLines.push(line) } } },
        // A route that hands the repository what the API's validation would have refused.
        beforeListen(app) {
          app.post('/test-only/create', async (_request, reply) => {
            const { item } = await app.items.create(record)
            return reply.code(201).send({ name: item.name })
          })
        },
      },
    )
    items = await running.items()
  })
  afterAll(async () => {
    await running.close()
  })

  const logged = (): { level: number; msg: string; err?: { message?: string } }[] =>
    logLines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })

  it('the start settles the collection validator, or says the server has none, and the service works', async () => {
    const deadline = Date.now() + 60_000
    const said = (): string | undefined =>
      logged().find((entry) => /collection validator|no collection validators/.test(entry.msg))?.msg
    while (said() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(said()).toBeDefined()
    expect((await get(running.baseUrl, '/readyz')).status).toBe(200)
    expect((await postJson(running.baseUrl, { name: 'after start', price: 1 })).status).toBe(201)
  })

  it.each<[string, Partial<Item>]>([
    ['a price above the API bound', { name: 'too dear', price: (MAX_CENTS + 1) as Cents }],
    ['a negative tax', { name: 'negative tax', tax: -1 as Cents }],
    ['a name of 201 characters', { name: 'n'.repeat(201) }],
    ['a description of 2001 characters', { name: 'long description', description: 'd'.repeat(2001) }],
  ])('a record with %s is refused by the schema: 500, a log line, nothing stored', async (_label, change) => {
    logLines.length = 0
    record = { ...GOOD, ...change }
    const answer = await postJson(running.baseUrl, {}, '/test-only/create')
    expect(answer.status).toBe(500)
    expect(answer.json).toEqual({ detail: 'Internal Server Error' })
    expect(logged().some((entry) => entry.level >= 50 && /validation failed/i.test(entry.err?.message ?? ''))).toBe(true)
    expect(await items.stored(record.name)).toBeNull()
  })

  it('counts characters as the API does: a name of 200 astral characters is stored', async () => {
    const name = '😀'.repeat(200)
    const answer = await postJson(running.baseUrl, { name, price: 1 })
    expect(answer.status).toBe(201)
    expect((await items.stored(name))?._id).toBe(name)
  })

  it('where the server has validators, another writer cannot store what the schema refuses', async ({ skip }) => {
    const [info] = await items.client.db().listCollections({ name: 'items' }).toArray()
    const validator = (info as { options?: { validator?: unknown } } | undefined)?.options?.validator
    if (validator === undefined) skip('this server keeps no collection validator (FerretDB); the schema alone checks writes')
    const refused = await items.collection
      .insertOne({ _id: 'other writer', priceCents: Long.fromNumber(-1), description: null, taxCents: null, createdAt: new Date(), writeToken: new ObjectId() })
      .then(
        () => undefined,
        (err: unknown) => (err as { code?: unknown }).code,
      )
    expect(refused).toBe(121)
  })
})
