// A database written before item keys existed (documents in the shape the service stored until then) is
// migrated at start, in batches, logged with counts, and then searchable and in people's order; look-alike
// names already stored are reported and both kept; two instances starting at once migrate it once; an
// interrupted migration resumes; `npm run migrate` does the same by hand and lists the look-alikes.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Long, MongoClient, ObjectId } from 'mongodb'
import mongoose from 'mongoose'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { get, postJson } from '../../harness/http.js'
import { KEYS_VERSION } from '../../src/items/item-keys.js'
import { migrateItemKeys } from '../../src/items/migration.js'
import { itemModel } from '../../src/items/stored-item.js'
import { testDbUri } from '../setup/test-app.js'

const LEGACY: { name: string; price: number; description: string | null }[] = [
  ...Array.from({ length: 34 }, (_, i) => ({ name: `Widget ${String(i).padStart(2, '0')}`, price: 1 + i, description: `An old widget, number ${i}` })),
  { name: 'Čajník', price: 24.5, description: 'Czech teapot, cast iron' },
  { name: 'bucket', price: 3, description: 'Plastic' },
  { name: 'Bucket', price: 12.5, description: 'Rusty and galvanised' },
  { name: 'Zürich map', price: 7, description: null },
  { name: 'naïve café crème', price: 5, description: null },
  { name: 'Item A', price: 1, description: 'the first one' },
  { name: 'Item\u00A0A', price: 2, description: 'a no-break space' },
  { name: 'Item \u0410', price: 3, description: 'a Cyrillic A' },
]

/** Writes LEGACY as the service stored items before keys existed: no nameKey, sortName, words or keysVersion. */
async function writeLegacy(uri: string): Promise<void> {
  const client = new MongoClient(uri)
  try {
    await client.connect()
    await client
      .db()
      .collection('items')
      .insertMany(
        LEGACY.map((item) => ({
          _id: item.name as unknown as ObjectId,
          priceCents: Long.fromNumber(Math.round(item.price * 100)),
          description: item.description,
          taxCents: null,
          createdAt: new Date(),
          writeToken: new ObjectId(),
        })),
      )
  } finally {
    await client.close()
  }
}

interface LogLine {
  level: number
  msg: string
  updated?: number
}

/** The app on `uri`, its log kept. */
async function startLogged(uri: string): Promise<{ running: RunningApp; log: LogLine[] }> {
  const log: LogLine[] = []
  const running = await startApp({ mongodbUri: uri }, { fastify: { logger: { level: 'info', stream: { write: (line: string) => log.push(JSON.parse(line) as LogLine) } } } })
  return { running, log }
}

const names = async (running: RunningApp, query: string): Promise<string[]> =>
  ((await get(running.baseUrl, `/items/?limit=100&${query}`)).json as { items: { name: string }[] }).items.map((item) => item.name)

const opened: RunningApp[] = []
afterAll(async () => {
  for (const running of opened.reverse()) await running.close()
})

describe('a database written before item keys existed', () => {
  it('is migrated at start, logged with counts, and then searchable and in people’s order', async () => {
    const uri = testDbUri('migration_start')
    await writeLegacy(uri)
    const { running, log } = await startLogged(uri)
    opened.push(running)
    await running.app.items.started()

    const summary = log.find((line) => line.msg.startsWith('item keys migration:'))
    expect(summary?.msg).toBe(`item keys migration: ${LEGACY.length} items given current keys in 1 batch, 2 look-alike names reported`)
    const pairs = log.filter((line) => line.msg.startsWith('look-alike names:')).map((line) => line.msg)
    expect(pairs).toEqual([
      'look-alike names: "Item \u0410" reads the same as "Item A" (it has U+0410); both are kept, and "Item A" holds the name',
      'look-alike names: "Item\u00A0A" reads the same as "Item A" (it has U+00A0); both are kept, and "Item A" holds the name',
    ])

    expect(await names(running, 'q=cajnik')).toEqual(['Čajník'])
    expect(await names(running, 'q=galvanised')).toEqual(['Bucket'])
    expect(await names(running, 'q=widget%20number%2007')).toEqual(['Widget 07'])
    expect((await names(running, 'sort=name')).slice(0, 5)).toEqual(['Bucket', 'bucket', 'Čajník', 'Item A', 'Item\u00A0A'])
    expect((await names(running, 'sort=-price')).slice(0, 2)).toEqual(['Widget 33', 'Widget 32'])
    const catalogue = await get(running.baseUrl, '/catalogue/')
    expect(catalogue.text).toContain(`Items 1–20 of ${LEGACY.length}`)

    // Both look-alikes stay, readable and listed; the first holds the name, so a new look-alike names it.
    for (const name of ['Item A', 'Item\u00A0A', 'Item \u0410']) expect((await get(running.baseUrl, `/items/${encodeURIComponent(name)}/`)).status).toBe(200)
    expect(await names(running, 'q=item')).toEqual(['Item A', 'Item\u00A0A', 'Item \u0410'])
    const another = await postJson(running.baseUrl, { name: 'Item\u2002A', price: 9 })
    expect(another.status).toBe(409)
    expect(another.headers.location).toBe('/items/Item%20A/')
    const items = await running.items()
    expect(await items.collection.countDocuments({ keysVersion: KEYS_VERSION })).toBe(LEGACY.length)
    expect((await items.collection.findOne({ _id: 'Item \u0410' }))?.lookAlikeOf).toBe('Item A')

    // The next start finds nothing to do.
    const again = await startLogged(uri)
    await again.running.app.items.started()
    await again.running.app.close()
    expect(again.log.map((line) => line.msg)).toContain('item keys migration: every stored item has current keys')
  })

  it('two instances starting at once migrate it once', async () => {
    const uri = testDbUri('migration_twice')
    await writeLegacy(uri)
    const [first, second] = await Promise.all([startLogged(uri), startLogged(uri)])
    opened.push(first.running)
    await Promise.all([first.running.app.items.started(), second.running.app.items.started()])
    await second.running.app.close()
    const updated = [first, second].flatMap(({ log }) => log.filter((line) => line.msg.startsWith('item keys migration:')).map((line) => line.updated ?? 0))
    expect(updated.filter((count) => count > 0)).toEqual([LEGACY.length])
    expect(await names(first.running, 'q=cajnik')).toEqual(['Čajník'])
  })

  it('an interrupted migration resumes where it stopped; run again it does nothing', async () => {
    const uri = testDbUri('migration_resume')
    await writeLegacy(uri)
    const connection = await mongoose.createConnection(uri, { autoIndex: false, autoCreate: false }).asPromise()
    try {
      const Items = itemModel(connection)
      const stop = new AbortController()
      // Stops after its first batch of 10, as a service closing would.
      const log = pino(
        { level: 'debug' },
        {
          write: (line: string) => {
            if (line.includes('batch done')) stop.abort()
          },
        },
      )
      const first = await migrateItemKeys(connection, Items, { log, batchSize: 10, signal: stop.signal })
      expect(first).toMatchObject({ ran: true, report: { updated: 10, batches: 1 } })
      const rest = await migrateItemKeys(connection, Items, { log: pino({ level: 'silent' }), batchSize: 10 })
      expect(rest).toMatchObject({ ran: true, report: { updated: LEGACY.length - 10, batches: 4 } })
      expect(await migrateItemKeys(connection, Items, { log: pino({ level: 'silent' }) })).toMatchObject({ ran: true, report: { updated: 0 } })
      expect(await Items.countDocuments({ keysVersion: KEYS_VERSION })).toBe(LEGACY.length)
    } finally {
      await connection.dropDatabase()
      await connection.close()
    }
  })

  it('npm run migrate migrates it by hand and lists the look-alike names', async () => {
    const uri = testDbUri('migration_cli')
    await writeLegacy(uri)
    try {
      const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['src/items/migrate-cli.ts'], { env: { ...process.env, MONGODB_URI: uri }, timeout: 120_000 })
      expect(stdout).toContain(`"updated":${LEGACY.length}`)
      expect(stdout).toContain('2 stored names read the same as another stored one; both items are kept, the first one named holds the name:')
      expect(stdout).toContain('  "Item A" holds the name; "Item \u0410" reads the same (it has U+0410)')
    } finally {
      const client = new MongoClient(uri)
      await client.connect()
      await client.db().dropDatabase()
      await client.close()
    }
  })
})
