// The import and export scenario (`npm run bench -- --transfer`, and the end of a full run): on one database
// server, side by side,
//  - import: POST /import/items of an N-row CSV to the built service, against the bare driver's unordered
//    insertMany of the same documents into a collection with the same indexes (the database's own rate; also,
//    for comparison with earlier runs, of the item's fields alone without the indexes) and against the same rows sent as single JSON
//    creates by 8 concurrent clients;
//  - export: GET /export/items.ndjson and .csv read whole, against the bare driver's cursor over the same collection;
//  - memory: the service's peak RSS while it imports the N-row CSV, and while it exports N items to a slow reader.
// Targets (issue 28): import >= 0.5x insertMany and >= 5x the single creates; export >= 0.5x the cursor; RSS <= 150 MB.
import { Agent, request as httpRequest } from 'node:http'
import { Long, ObjectId, type IndexDescription, type MongoClient } from 'mongodb'
import { itemKeys } from '../src/items/item-keys.js'
import { itemSchema } from '../src/items/stored-item.js'
import type { StoredItem } from '../harness/items.js'
import { send } from '../harness/http.js'
import { CSV_TYPE, generatedCsv, generatedItem, importFile } from '../harness/transfer.js'
import type { BenchServer } from './lib/processes.js'
import { round } from './lib/stats.js'

export interface TransferSettings {
  /** Rows imported and items exported. */
  rows: number
  /** Rows sent as single JSON creates (a sample: at 8 clients they take far longer). */
  singleRows: number
  /** The slow reader's pace, in KiB a second. */
  slowReaderKiBps: number
}

export interface TransferResults {
  settings: TransferSettings
  importRowsPerS: { service: number; driverInsertMany: number; driverInsertManyFieldsOnly: number; singleCreates8: number }
  exportItemsPerS: { ndjson: number; csv: number; driverCursor: number }
  peakRssMB: { importing: number; exportingToSlowReader: number }
  ratios: { importVsInsertMany: number; importVsInsertManyFieldsOnly: number; importVsSingleCreates: number; exportVsCursor: number }
  targets: { name: string; want: string; got: string; met: boolean }[]
}

export interface TransferBench {
  client: MongoClient
  uri: string
  /** Starts the built service on database `name`, its RSS sampled (BenchServer.peakRssKb). */
  startService(label: string, name: string): Promise<BenchServer>
  stopService(server: BenchServer): Promise<void>
  log(message: string): void
}

/**
 * The stored document of generated row `n`: `full`, as the service stores it (with the derived keys, item-keys.ts);
 * otherwise the item's own fields only.
 */
function storedDoc(n: number, full: boolean): StoredItem {
  const item = generatedItem(n)
  const cents = (amount: string): Long => Long.fromNumber(Math.round(Number(amount) * 100))
  const fields = { _id: item.name, priceCents: cents(item.price), description: item.description, taxCents: item.tax === null ? null : cents(item.tax), createdAt: new Date(), writeToken: new ObjectId() }
  return full ? { ...fields, ...itemKeys(item.name, item.description) } : fields
}

async function timedMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

/**
 * The bare driver: unordered insertMany of the same documents, 500 at a time, as the import sends them; `full`:
 * the documents as the service stores them, into a collection with the service's indexes (the database's own
 * rate for the same work); otherwise the item's fields alone, with no index but _id's.
 */
async function driverInsertMany(client: MongoClient, name: string, rows: number, full: boolean): Promise<number> {
  const items = client.db(name).collection<StoredItem>('items')
  if (full) await items.createIndexes(itemSchema.indexes().map(([key, options]) => ({ ...options, key }) as IndexDescription))
  const docs = Array.from({ length: rows }, (_, n) => storedDoc(n, full))
  return timedMs(async () => {
    for (let start = 0; start < rows; start += 500) await items.insertMany(docs.slice(start, start + 500), { ordered: false })
  })
}

/** The bare driver's cursor over the whole collection in name order. */
async function driverCursor(client: MongoClient, name: string): Promise<{ ms: number; count: number }> {
  let count = 0
  const ms = await timedMs(async () => {
    const cursor = client.db(name).collection('items').find({}, { sort: { _id: 1 }, batchSize: 500, projection: { _id: 1, priceCents: 1, description: 1, taxCents: 1 } })
    while ((await cursor.next()) !== null) count++
  })
  return { ms, count }
}

/** `rows` single JSON creates from 8 concurrent keep-alive clients. */
async function singleCreates(baseUrl: string, rows: number, from: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  let next = from
  const ms = await timedMs(() =>
    Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < from + rows) {
          const item = generatedItem(next++)
          const answer = await send(baseUrl, { method: 'POST', path: '/items/new/', headers: { 'content-type': 'application/json' }, body: JSON.stringify(item) }, { agent })
          if (answer.status !== 201) throw new Error(`a single create answered ${answer.status}: ${answer.text.slice(0, 200)}`)
        }
      }),
    ),
  )
  agent.destroy()
  return ms
}

/** Reads a whole export; with `kiBps`, no faster than that (a slow reader), pausing the socket between reads. */
function readExport(baseUrl: string, path: string, kiBps?: number): Promise<{ ms: number; lines: number }> {
  const { hostname, port } = new URL(baseUrl)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path} answered ${res.statusCode ?? 0}`))
      let lines = 0
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        for (const byte of chunk) if (byte === 0x0a) lines++
        bytes += chunk.length
        if (kiBps === undefined) return
        // Behind schedule is fine; ahead of it, wait until the pace catches up.
        const dueMs = (bytes / 1024 / kiBps) * 1000 - (performance.now() - started)
        if (dueMs > 0) {
          res.pause()
          setTimeout(() => res.resume(), dueMs)
        }
      })
      res.on('end', () => {
        resolve({ ms: performance.now() - started, lines })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const perS = (count: number, ms: number): number => round((count / ms) * 1000, 0)

export async function runTransferBench(bench: TransferBench, settings: TransferSettings): Promise<TransferResults> {
  const { client } = bench
  const log = (message: string): void => {
    bench.log(message)
  }
  const { rows, singleRows } = settings
  const names = { driver: 'bench_transfer_driver', driverFields: 'bench_transfer_driver_fields', service: 'bench_transfer_service', single: 'bench_transfer_single' }
  for (const name of Object.values(names)) await client.db(name).dropDatabase()

  log(`transfer: bare driver insertMany of ${rows} documents as the service stores them, with its indexes`)
  const driverMs = await driverInsertMany(client, names.driver, rows, true)
  log(`transfer: bare driver insertMany of ${rows} documents of the item's fields alone, no index but _id's`)
  const driverFieldsMs = await driverInsertMany(client, names.driverFields, rows, false)

  const service = await bench.startService('service-transfer', names.service)
  const csv = generatedCsv(rows)
  log(`transfer: POST /import/items of ${rows} rows (${(csv.length / 2 ** 20).toFixed(1)} MiB), pid ${service.pid}`)
  service.peakRssKb = 0
  const importMs = await timedMs(async () => {
    const { answer, summary } = await importFile(service.baseUrl, csv, CSV_TYPE, { timeoutMs: 3_600_000 })
    if (answer.status !== 200 || summary?.created !== rows) throw new Error(`the import answered ${answer.status}: ${summary === undefined ? answer.text.slice(0, 300) : JSON.stringify(summary)}`)
  })
  const importRss = service.peakRssKb

  log(`transfer: exports of ${rows} items, and the bare driver's cursor`)
  const cursor = await driverCursor(client, names.service)
  const ndjson = await readExport(service.baseUrl, '/export/items.ndjson')
  const csvOut = await readExport(service.baseUrl, '/export/items.csv')
  if (ndjson.lines !== rows || csvOut.lines !== rows + 1 || cursor.count !== rows) throw new Error(`an export was short: ${ndjson.lines} NDJSON lines, ${csvOut.lines} CSV lines, ${cursor.count} from the cursor`)
  log(`transfer: export of ${rows} items to a reader at ${settings.slowReaderKiBps} KiB/s`)
  service.peakRssKb = 0
  const slow = await readExport(service.baseUrl, '/export/items.ndjson', settings.slowReaderKiBps)
  const slowRss = service.peakRssKb
  await bench.stopService(service)

  const single = await bench.startService('service-single', names.single)
  log(`transfer: ${singleRows} single JSON creates from 8 clients`)
  const singleMs = await singleCreates(single.baseUrl, singleRows, 0)
  await bench.stopService(single)
  for (const name of Object.values(names)) await client.db(name).dropDatabase()

  const importRowsPerS = { service: perS(rows, importMs), driverInsertMany: perS(rows, driverMs), driverInsertManyFieldsOnly: perS(rows, driverFieldsMs), singleCreates8: perS(singleRows, singleMs) }
  const exportItemsPerS = { ndjson: perS(rows, ndjson.ms), csv: perS(rows, csvOut.ms), driverCursor: perS(rows, cursor.ms) }
  const peakRssMB = { importing: round(importRss / 1024, 1), exportingToSlowReader: round(slowRss / 1024, 1) }
  const ratios = {
    importVsInsertMany: round(importRowsPerS.service / importRowsPerS.driverInsertMany, 2),
    importVsInsertManyFieldsOnly: round(importRowsPerS.service / importRowsPerS.driverInsertManyFieldsOnly, 2),
    importVsSingleCreates: round(importRowsPerS.service / importRowsPerS.singleCreates8, 2),
    exportVsCursor: round(Math.min(exportItemsPerS.ndjson, exportItemsPerS.csv) / exportItemsPerS.driverCursor, 2),
  }
  log(`transfer: slow reader took ${(slow.ms / 1000).toFixed(1)} s for ${slow.lines} lines`)
  return {
    settings,
    importRowsPerS,
    exportItemsPerS,
    peakRssMB,
    ratios,
    targets: [
      { name: 'import vs bare insertMany (the same documents and indexes)', want: '>= x0.50', got: `x${ratios.importVsInsertMany.toFixed(2)}`, met: ratios.importVsInsertMany >= 0.5 },
      { name: 'import vs single creates (8 clients)', want: '>= x5.0', got: `x${ratios.importVsSingleCreates.toFixed(2)}`, met: ratios.importVsSingleCreates >= 5 },
      { name: 'export vs bare cursor (slower of NDJSON, CSV)', want: '>= x0.50', got: `x${ratios.exportVsCursor.toFixed(2)}`, met: ratios.exportVsCursor >= 0.5 },
      { name: `peak RSS importing ${rows} rows`, want: '<= 150 MB', got: `${peakRssMB.importing} MB`, met: peakRssMB.importing <= 150 },
      { name: `peak RSS exporting ${rows} items to a slow reader`, want: '<= 150 MB', got: `${peakRssMB.exportingToSlowReader} MB`, met: peakRssMB.exportingToSlowReader <= 150 },
    ],
  }
}

/** The results as a table for the terminal and bench/results/transfer.md. */
export function formatTransfer(results: TransferResults): string {
  const { importRowsPerS: i, exportItemsPerS: e, peakRssMB: m, settings } = results
  return [
    `Import and export, ${settings.rows} rows (single creates: ${settings.singleRows} rows)`,
    '',
    '| measure | service | reference | ratio |',
    '|---|---|---|---|',
    `| import rows/s | ${i.service} | bare insertMany of the same documents, the same indexes ${i.driverInsertMany} | x${results.ratios.importVsInsertMany.toFixed(2)} |`,
    `| import rows/s | ${i.service} | bare insertMany of the item's fields alone, no index but _id's ${i.driverInsertManyFieldsOnly} | x${results.ratios.importVsInsertManyFieldsOnly.toFixed(2)} |`,
    `| import rows/s | ${i.service} | single creates, 8 clients ${i.singleCreates8} | x${results.ratios.importVsSingleCreates.toFixed(2)} |`,
    `| export items/s | NDJSON ${e.ndjson}, CSV ${e.csv} | bare cursor ${e.driverCursor} | x${results.ratios.exportVsCursor.toFixed(2)} |`,
    `| peak RSS | importing ${m.importing} MB; exporting to a ${settings.slowReaderKiBps} KiB/s reader ${m.exportingToSlowReader} MB | | |`,
    '',
    ...results.targets.map((t) => `${t.met ? 'met ' : 'MISS'}  ${t.name}: want ${t.want}, got ${t.got}`),
  ].join('\n')
}
