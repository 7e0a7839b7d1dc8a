// An import while its database freezes or dies, and while its client goes away, against a database of this
// file's own (a FerretDB process, else a container): every row answered created or unchanged is stored as sent,
// every row answered conflict, invalid or skipped was not stored by the import, an unknown row is either, and
// sending the same file again converges (each valid row created or unchanged, nothing unknown or skipped).
import { request as httpRequest } from 'node:http'
import { beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { findDatabase, type StoppableDatabase } from '../../harness/database.js'
import { postJson, waitUntilReady } from '../../harness/http.js'
import type { ItemsCollection } from '../../harness/items.js'
import { withDatabase } from '../../harness/mongo-uri.js'
import { CSV_TYPE, generatedCsv, generatedItem, importFile, resultLines, type ResultLine } from '../../harness/transfer.js'

const ROWS = 6_000
// After the generated rows: one invalid row and one under a name another item holds.
const CSV = `${generatedCsv(ROWS).trimEnd()}\nbad-row,not a price,,\nheld-by-another,2.00,,\n`
const RECOVERY_MS = 120_000

let db: StoppableDatabase
beforeAll(async () => {
  db = await findDatabase(['ferretdb', 'container'])
  return () => db.dispose()
})

/** Sends CSV to the import and calls `during` once the first result line has arrived; resolves with every line read. */
function importWhile(baseUrl: string, during: (abort: () => void) => Promise<void>): Promise<{ text: string; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl)
    let aborted = false
    const req = httpRequest({ host: hostname, port, method: 'POST', path: '/import/items', headers: CSV_TYPE }, (res) => {
      expect(res.statusCode).toBe(200)
      let text = ''
      let started: Promise<void> | undefined
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
        started ??= during(() => {
          aborted = true
          req.destroy()
        })
      })
      const done = (): void => {
        void (started ?? Promise.resolve()).then(() => {
          resolve({ text: text.slice(0, text.lastIndexOf('\n') + 1), aborted })
        }, reject)
      }
      res.on('end', done)
      res.on('close', done)
      res.on('error', () => undefined)
    })
    req.on('error', (error) => {
      if (!aborted) reject(error)
    })
    req.end(CSV)
  })
}

/** The row a result line answers: the generated item of that line, or one of the two rows after them. */
function sentRow(line: number): { name: string; priceCents: number; description: string | null; taxCents: number | null } | undefined {
  const index = line - 2
  if (index >= ROWS) return undefined
  const item = generatedItem(index)
  const cents = (amount: string): number => Math.round(Number(amount) * 100)
  return { name: item.name, priceCents: cents(item.price), description: item.description, taxCents: item.tax === null ? null : cents(item.tax) }
}

/** Checks each answered row against the collection; returns how many rows each result had. */
async function checkAnswered(rows: ResultLine[], items: ItemsCollection): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  // The whole collection in one read (a scan on FerretDB either way), not a read per row.
  const storedByName = new Map((await items.collection.find({}, { promoteLongs: false }).toArray()).map((doc) => [doc._id, doc]))
  for (const row of rows) {
    counts[row.result] = (counts[row.result] ?? 0) + 1
    const sent = sentRow(row.line)
    if (sent === undefined) {
      if (row.name === 'bad-row') expect(row.result).toBe('invalid')
      if (row.name === 'held-by-another') expect(['conflict', 'skipped', 'unknown']).toContain(row.result)
      continue
    }
    const stored = storedByName.get(sent.name) ?? null
    const label = `line ${row.line} (${sent.name}) answered ${row.result}`
    if (row.result === 'created' || row.result === 'unchanged') {
      expect(stored, label).not.toBeNull()
      expect(stored?.priceCents.toNumber(), label).toBe(sent.priceCents)
      expect(stored?.description, label).toBe(sent.description)
      expect(stored?.taxCents?.toNumber() ?? null, label).toBe(sent.taxCents)
    } else if (row.result === 'skipped' || row.result === 'invalid') {
      expect(stored, label).toBeNull()
    } else {
      expect(row.result, label).toBe('unknown')
    }
  }
  expect(storedByName.get('bad-row')).toBeUndefined()
  expect(storedByName.get('held-by-another')?.priceCents.toNumber()).toBe(100)
  return counts
}

/** Sending the same file again: every valid row created or unchanged, and then all of them are stored. */
async function expectConvergence(running: RunningApp, items: ItemsCollection): Promise<void> {
  const again = await importFile(running.baseUrl, CSV, CSV_TYPE)
  expect(again.answer.status).toBe(200)
  expect(again.summary?.unknown).toBe(0)
  expect(again.summary?.skipped).toBe(0)
  expect((again.summary?.created ?? 0) + (again.summary?.unchanged ?? 0)).toBe(ROWS)
  expect(again.summary?.invalid).toBe(1)
  expect(again.summary?.conflict).toBe(1)
  expect(await items.count()).toBe(ROWS + 1)
}

async function startOn(name: string): Promise<{ running: RunningApp; items: ItemsCollection }> {
  const running = await startApp({ mongodbUri: withDatabase(db.uri, name) })
  expect((await postJson(running.baseUrl, { name: 'held-by-another', price: 1 })).status).toBe(201)
  return { running, items: await running.items() }
}

function report(what: string, counts: Record<string, number>, answered: number): void {
  process.stderr.write(`[reliability] import ${what}: ${answered} of ${ROWS + 2} rows answered before the end: ${JSON.stringify(counts)}\n`)
}

describe('an import through database failures', () => {
  it('keeps every answered row true while the database is frozen mid-import, and converges when sent again', async () => {
    const { running, items } = await startOn('import_frozen')
    try {
      const { text } = await importWhile(running.baseUrl, async () => {
        await db.freeze()
        // Longer than the create bound, so inserts sent before the freeze cannot be confirmed in time.
        await new Promise((resolve) => setTimeout(resolve, 10_000))
        await db.thaw()
      })
      const { rows, summary } = resultLines(text)
      expect(summary, 'the import ran to its end').toBeDefined()
      expect(rows.map((row) => row.line)).toEqual(Array.from({ length: ROWS + 2 }, (_, i) => i + 2))
      report('with the database frozen for 10 s', await checkAnswered(rows, items), rows.length)
      await waitUntilReady(running.baseUrl, RECOVERY_MS)
      await expectConvergence(running, items)
    } finally {
      await db.thaw()
      await running.close()
    }
  })

  it('keeps every answered row true when the database is killed mid-import, and converges when sent again', async () => {
    const { running, items } = await startOn('import_killed')
    try {
      const { text } = await importWhile(running.baseUrl, async () => {
        await db.stop('SIGKILL')
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        await db.start()
      })
      const { rows, summary } = resultLines(text)
      expect(summary, 'the import ran to its end').toBeDefined()
      expect(rows.length).toBe(ROWS + 2)
      const counts = await checkAnswered(rows, items)
      report('with the database killed and restarted', counts, rows.length)
      await waitUntilReady(running.baseUrl, RECOVERY_MS)
      await expectConvergence(running, items)
    } finally {
      if (!db.running()) await db.start()
      await running.close()
    }
  })

  it('leaves each row stored or not when the client goes away mid-import, and converges when sent again', async () => {
    const { running, items } = await startOn('import_dropped')
    try {
      const { text, aborted } = await importWhile(running.baseUrl, async (abort) => {
        abort()
      })
      expect(aborted).toBe(true)
      const { rows, summary } = resultLines(text)
      expect(summary).toBeUndefined()
      report('with the client gone after its first lines', await checkAnswered(rows, items), rows.length)
      // Batches already sent finish on their own; then the import stops: the rows it did not reach are not stored.
      let before = -1
      await expect.poll(async () => before === (before = await items.count()), { timeout: 120_000, interval: 1_000 }).toBe(true)
      expect(before).toBeLessThan(ROWS + 1)
      await expectConvergence(running, items)
    } finally {
      await running.close()
    }
  })
})
