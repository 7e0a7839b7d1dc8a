// The five requests the bench drives, and one bounded autocannon run against one server.
import autocannon from 'autocannon'
import { itemName } from './seed.js'
import { percentile, round } from './stats.js'

export type ScenarioId = 'get-one' | 'get-cold' | 'post-json' | 'post-form' | 'index' | 'list' | 'list-deep' | `find-${string}`

/** A signed-in editor's session cookie and the form's CSRF token, for a server whose form needs them (writes closed). */
export interface FormAuth {
  cookie: string
  csrfToken: string
}

export interface Scenario {
  id: ScenarioId
  title: string
  /** Connections for this scenario when it must differ from the run's (see LIST_CONNECTIONS). */
  connections?: number
  /** Requests for one run; names stay unique across runs, so POSTs never collide. */
  requests(auth?: FormAuth): autocannon.Request[]
}

let postCounter = 0
const runTag = Date.now().toString(36)

const POSTED_PREFIX = 'bench-'

function uniqueName(): string {
  postCounter += 1
  return `${POSTED_PREFIX}${runTag}-${postCounter}`
}

/** GET one item, a random one among `count` preloaded. */
export function getOne(count: number, id: 'get-one' | 'get-cold' = 'get-one', title = 'GET /items/<name>/'): Scenario {
  return {
    id,
    title,
    requests: () => [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/items/${itemName(Math.floor(Math.random() * count))}/` }),
      },
    ],
  }
}

/**
 * The same reads, run on a service whose read cache is off (READ_CACHE_MB=0): every read does what the first
 * read of an item does (the database, rendering, the ETag), without repeating names the way a cache would need.
 */
export function getCold(count: number): Scenario {
  return getOne(count, 'get-cold', 'GET /items/<name>/, cold (each read from the database)')
}

/**
 * The cost table's servers require this key (API_KEYS); every JSON create carries it, so the servers that
 * take writes from anyone, the references included, are sent the same bytes and ignore it.
 */
export const BENCH_API_KEY = 'bench-key-0123456789abcdefghijklmnopqrstuv'

export const postJson: Scenario = {
  id: 'post-json',
  title: 'POST /items/new/ (JSON)',
  requests: () => [
    {
      method: 'POST',
      path: '/items/new/',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` },
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ name: uniqueName(), price: 12.34, description: 'Rusty old bucket', tax: 1.5 }),
      }),
    },
  ],
}

export const postForm: Scenario = {
  id: 'post-form',
  title: 'POST /items/new/form/',
  requests: (auth) => [
    {
      method: 'POST',
      path: '/items/new/form/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { cookie: auth.cookie }) },
      setupRequest: (req) => ({
        ...req,
        body: `name=${uniqueName()}&price=12.34&description=Rusty+old+bucket&tax=${auth === undefined ? '' : `&_csrf=${encodeURIComponent(auth.csrfToken)}`}`,
      }),
    },
  ],
}

export const index: Scenario = {
  id: 'index',
  title: 'GET / (the form)',
  requests: () => [{ method: 'GET', path: '/' }],
}

/**
 * The list runs at 2 connections: FerretDB's SQLite backend cannot serve a sort on _id from an index, so
 * every page reads and sorts the whole collection, and at 10 connections its queue passes the service's
 * 1.5 s database deadline (503) on a busy 2-core machine.
 */
export const LIST_CONNECTIONS = 2

export const list: Scenario = {
  id: 'list',
  title: 'GET /items/?limit=20',
  connections: LIST_CONNECTIONS,
  requests: () => [{ method: 'GET', path: '/items/?limit=20' }],
}

/** A page near the end of `count` preloaded items: `after` is 30 names from the end. */
export function listDeep(count: number): Scenario {
  return {
    id: 'list-deep',
    title: 'GET /items/?limit=20&after=<near the end>',
    connections: LIST_CONNECTIONS,
    requests: () => [{ method: 'GET', path: `/items/?limit=20&after=${itemName(count - 30)}` }],
  }
}

export interface LoadResult {
  seconds: number
  requests: number
  rps: number
  /** responses by status code */
  statusCodes: Record<string, number>
  errors: number
  timeouts: number
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number }
  /** CPU ms per request of the server under test and of the database server (null when not ours). */
  cpuMsPerRequest?: { server: number; database: number | null }
}

const MAX_SAMPLES = 2_000_000

/**
 * Drives `scenario` against `baseUrl` for `seconds` with `connections` keep-alive connections.
 * Latencies are kept at full resolution here (autocannon's own histogram rounds to whole ms).
 */
export async function runLoad(baseUrl: string, scenario: Scenario, seconds: number, connections: number, auth?: FormAuth): Promise<LoadResult> {
  const samples = new Float64Array(MAX_SAMPLES)
  let count = 0
  const started = performance.now()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: baseUrl, connections, duration: seconds, timeout: 10, requests: scenario.requests(auth) },
      (err, res) => {
        if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err)))
        else resolve(res)
      },
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (count < MAX_SAMPLES) samples[count++] = responseTime
    })
  })
  const elapsed = (performance.now() - started) / 1000
  const sorted = samples.subarray(0, count).sort()
  let sum = 0
  for (const value of sorted) sum += value
  const statusCodes: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats as Record<string, { count: number }>)) statusCodes[code] = stat.count
  const total = result.requests.total
  return {
    seconds: round(elapsed, 2),
    requests: total,
    rps: round(total / result.duration, 1),
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: {
      mean: round(count === 0 ? 0 : sum / count),
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? 0),
    },
  }
}
