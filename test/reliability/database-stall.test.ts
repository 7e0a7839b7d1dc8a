// A database that stalls (SIGSTOP of the FerretDB process, or `docker pause`) while creates stream in, for
// 1 s, 2.5 s and 4 s. The driver gives up on inserts it already sent; the database applies them when it
// wakes. Every answer must match what is stored afterwards: 201 and 200 stored, 503 never stored (not even
// later), 504 (outcome unknown) either way.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { findDatabase, type StoppableDatabase } from '../../harness/database.js'
import { postForm, postJson, timed } from '../../harness/http.js'
import { withDatabase } from '../../harness/mongo-uri.js'

const STREAM_INTERVAL_MS = 40
// After the last answer, time for any insert still queued in the woken database to land.
const SETTLE_MS = 2_000

let db: StoppableDatabase | undefined
let running: RunningApp | undefined

beforeAll(async () => {
  db = await findDatabase(['ferretdb', 'container'])
  running = await startApp({ mongodbUri: withDatabase(db.uri, 'stall') })
})
afterAll(async () => {
  try {
    await db?.thaw().catch(() => undefined)
    await running?.close()
  } finally {
    await db?.dispose()
  }
})

function app(): RunningApp {
  if (running === undefined) throw new Error('the app did not start')
  return running
}

function database(): StoppableDatabase {
  if (db === undefined) throw new Error('no database was started')
  return db
}

interface Answer {
  name: string
  channel: 'json' | 'form'
  status: number
  ms: number
}

async function create(name: string, channel: 'json' | 'form'): Promise<Answer> {
  const { answer, ms } = await timed(() =>
    channel === 'json' ? postJson(app().baseUrl, { name, price: 1.25 }) : postForm(app().baseUrl, { name, price: '1.25' }),
  )
  // The form answers a stored item with a redirect to its page.
  const status = channel === 'form' && answer.status === 303 ? 201 : answer.status
  return { name, channel, status, ms }
}

describe('database stall', () => {
  it.each([1_000, 2_500, 4_000])('a %i ms stall: every answer matches what is stored', async (pauseMs) => {
    const pending: Promise<Answer>[] = []
    // A bounded stream: before, during and after the stall, JSON and form alternating.
    const streamMs = pauseMs + 1_500
    const count = Math.ceil(streamMs / STREAM_INTERVAL_MS)
    const paused = (async () => {
      await sleep(300)
      await database().freeze()
      await sleep(pauseMs)
      await database().thaw()
    })()
    for (let i = 0; i < count; i++) {
      pending.push(create(`stall-${pauseMs}-${String(i).padStart(3, '0')}`, i % 2 === 0 ? 'json' : 'form'))
      await sleep(STREAM_INTERVAL_MS)
    }
    await paused
    const answers = await Promise.all(pending)
    await sleep(SETTLE_MS)

    const { collection: items } = await app().items()
    const docs = await items.find({ _id: { $regex: `^stall-${pauseMs}-` } }, { projection: { _id: 1 } }).toArray()
    const stored = new Set(docs.map((doc) => doc._id))
    const tally: Record<number, number> = {}
    for (const answer of answers) {
      tally[answer.status] = (tally[answer.status] ?? 0) + 1
      const where = `${answer.channel} ${answer.name}: ${answer.status} after ${answer.ms.toFixed(0)} ms`
      expect([201, 503, 504], where).toContain(answer.status)
      if (answer.status === 201) expect(stored.has(answer.name), where).toBe(true)
      if (answer.status === 503) expect(stored.has(answer.name), `${where}, but stored later`).toBe(false)
    }
    // The stall happened: some create waited for the database through a good part of it.
    const slowest = Math.max(...answers.map((a) => a.ms))
    expect(slowest, 'the slowest create').toBeGreaterThanOrEqual(pauseMs / 2)
    const unknownStored = answers.filter((a) => a.status === 504 && stored.has(a.name)).length
    process.stderr.write(
      `[reliability] stall ${pauseMs} ms: ${answers.length} creates: ${Object.entries(tally)
        .map(([status, n]) => `${n} x ${status}`)
        .join(', ')}; ${unknownStored} of the 504s stored; slowest ${slowest.toFixed(0)} ms\n`,
    )
    // The service is whole again: a create goes through.
    expect((await create(`stall-${pauseMs}-after`, 'json')).status).toBe(201)
  })
})
