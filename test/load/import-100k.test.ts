// The "done when" at full size, on a quiet machine (npm run test:load): a 100 000-row CSV imports in one
// request with every row answered and stored, and the same file again answers every row unchanged. The normal
// suite imports a few thousand rows the same way (test/items/transfer-routes.test.ts).
import { describe, expect, it } from 'vitest'
import { CSV_TYPE, generatedCsv, importFile } from '../../harness/transfer.js'
import { useApp } from '../setup/test-app.js'

const ROWS = 100_000

describe('a 100 000-row import', () => {
  // Warnings (a database call that failed) go to the output, to tell why when a run fails.
  const running = useApp('import_100k', {}, { fastify: { logger: { level: 'warn' } } })

  it('answers and stores every row in one request, and answers the same file again unchanged', async () => {
    const csv = generatedCsv(ROWS)
    let started = performance.now()
    const first = await importFile(running.baseUrl, csv, CSV_TYPE, { timeoutMs: 1_200_000 })
    const firstS = (performance.now() - started) / 1000
    expect(first.answer.status, first.answer.text.slice(0, 500)).toBe(200)
    expect(first.rows.map((row) => row.line)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 2))
    expect(first.summary).toEqual({ created: ROWS, unchanged: 0, conflict: 0, invalid: 0, unknown: 0, skipped: 0 })
    expect(await running.count()).toBe(ROWS)
    started = performance.now()
    const again = await importFile(running.baseUrl, csv, CSV_TYPE, { timeoutMs: 2_400_000 })
    const againS = (performance.now() - started) / 1000
    expect(again.answer.status, again.answer.text.slice(0, 500)).toBe(200)
    expect(again.summary).toEqual({ created: 0, unchanged: ROWS, conflict: 0, invalid: 0, unknown: 0, skipped: 0 })
    process.stderr.write(`[load] ${ROWS} rows imported in ${firstS.toFixed(1)} s; the same file again (all unchanged) in ${againS.toFixed(1)} s\n`)
  }, 3_600_000)
})
