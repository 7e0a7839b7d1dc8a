// Finding items under load (issue 27): a search by one selective word, by common words, a price range, and
// each order, on the service alone at several collection sizes, one request at a time so that the latency is
// the query's and not the queue's. `npm run bench` runs it after the growth rows; `npm run bench -- --find`
// (with --find-sizes 1000,10000) runs only this. The figures go to bench/results/find.json and docs/performance.md.
import { itemName } from './seed.js'
import type { LoadResult, Scenario } from './load.js'

export const FIND_SIZES = [1_000, 10_000, 100_000]
/** bench:quick (CI) stops at 10 000. */
export const FIND_SIZES_QUICK = [1_000, 10_000]

const pick = (count: number): number => Math.floor(Math.random() * count)

/** The requests measured at a collection of `count` preloaded items (bench/lib/seed.ts: names, prices, descriptions). */
export function findScenarios(count: number): Scenario[] {
  const get = (id: `find-${string}`, title: string, path: () => string): Scenario => ({
    id,
    title,
    requests: () => [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
  })
  return [
    // The number in one item's name, as typed so far: one item (or a few) match.
    get('find-word', 'GET /items/?q=<the start of one name’s number>', () => `/items/?q=${itemName(pick(count)).slice(5, 11)}`),
    // Words every item has: the first page of all of them, in name order.
    get('find-common', 'GET /items/?q=preloaded+numb', () => '/items/?q=preloaded+numb'),
    // A range of 50 prices (one item each, bench/lib/seed.ts prices are 1.00 up, a cent apart).
    get('find-price', 'GET /items/?min_price=&max_price= (50 prices)', () => {
      const low = 100 + pick(Math.max(1, Math.min(count, 100_000) - 50))
      return `/items/?min_price=${(low / 100).toFixed(2)}&max_price=${((low + 49) / 100).toFixed(2)}`
    }),
    get('find-name', 'GET /items/?sort=name', () => '/items/?sort=name'),
    get('find-price-asc', 'GET /items/?sort=price', () => '/items/?sort=price'),
    get('find-price-desc', 'GET /items/?sort=-price', () => '/items/?sort=-price'),
  ]
}

export interface FindRow {
  items: number
  scenario: string
  title: string
  rps: number
  p50: number
  p99: number
  cpuMsPerRequest: { server: number; database: number | null } | null
  /** Answers other than 200 (503 when the database passed the service's deadline). */
  notOk: number
}

export function findRow(items: number, scenario: Scenario, result: LoadResult): FindRow {
  const notOk = Object.entries(result.statusCodes).filter(([code]) => code !== '200').reduce((sum, [, n]) => sum + n, 0) + result.errors + result.timeouts
  return {
    items,
    scenario: scenario.id,
    title: scenario.title,
    rps: Math.round(result.rps * 10) / 10,
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    cpuMsPerRequest: result.cpuMsPerRequest ?? null,
    notOk,
  }
}

/** The rows as a table for the terminal and for docs/performance.md. */
export function formatFind(rows: FindRow[]): string {
  const header = '| items | request | req/s | p50 ms | p99 ms | service CPU ms/req | database CPU ms/req | not 200 |\n|---:|---|---:|---:|---:|---:|---:|---:|'
  const lines = rows.map(
    (row) =>
      `| ${row.items.toLocaleString('en-US')} | ${row.title} | ${row.rps} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.cpuMsPerRequest?.server.toFixed(3) ?? '–'} | ${row.cpuMsPerRequest?.database?.toFixed(3) ?? '–'} | ${row.notOk} |`,
  )
  return [header, ...lines].join('\n')
}
