// The soak: a steady mixed load on one service for a number of minutes, reported interval by interval, to
// show that memory and latency stay flat. Every run is bounded in time and in requests; 127.0.0.1 only.
import autocannon from 'autocannon'
import type { MongoClient } from 'mongodb'
import { itemName } from './seed.js'
import { percentile, round } from './stats.js'

export interface SoakSettings {
  minutes: number
  /** Requests per second over all connections: a steady rate, so latency is not made of queueing. */
  rate: number
  connections: number
  /** Items preloaded: reads pick among them. */
  preloaded: number
}

export interface SoakInterval {
  index: number
  seconds: number
  requests: number
  /** Answers other than the one each request expects, plus connection errors and timeouts. */
  errors: number
  statusCodes: Record<string, number>
  p50Ms: number
  p99Ms: number
  rssMeanMB: number
  rssPeakMB: number
  heapUsedMB: number | null
  /** From the service's own /metrics (prom-client's event-loop monitor, reset at each scrape). */
  loopDelayP99Ms: number | null
  loopDelayMaxMs: number | null
}

export interface SoakVerdict {
  compared: [number, number] | null
  rssChange: number | null
  p99Change: number | null
  /** Whether p99 growth fails the soak (minute intervals) or is only reported (15 s intervals). */
  p99Decides: boolean
  errors: number
  passed: boolean
  reasons: string[]
}

/** Allowed growth from the second interval to the last, on peak RSS and on p99 latency (a fall is no leak). */
export const SOAK_TOLERANCE = 0.1

/**
 * Intervals of a minute when the run is long enough to have a second and a last minute apart from the
 * first (warm-up); otherwise of 15 s, so a 1-minute run (CI) still compares its last quarter with its second.
 */
export function soakIntervalSeconds(minutes: number): number {
  return minutes >= 3 ? 60 : 15
}

const SOAK_PREFIX = 'soak-'

interface Kind {
  expect: number
  request: autocannon.Request
}

/** The mix: per 10 requests 5 reads, 2 JSON creates, 1 form create, 1 read of a missing item, 1 refused create. */
function mix(preloaded: number, tag: string, counters: { unexpected: number }): autocannon.Request[] {
  let created = 0
  const name = (): string => `${SOAK_PREFIX}${tag}-${(created += 1)}`
  const read: Kind = {
    expect: 200,
    request: { method: 'GET', setupRequest: (req) => ({ ...req, path: `/items/${itemName(Math.floor(Math.random() * preloaded))}/` }) },
  }
  const create = (expect: number, path: string, type: string, body: () => string): Kind => ({
    expect,
    request: { method: 'POST', path, headers: { 'content-type': type }, setupRequest: (req) => ({ ...req, body: body() }) },
  })
  const json = create(201, '/items/new/', 'application/json', () =>
    JSON.stringify({ name: name(), price: 12.34, description: 'Rusty old bucket', tax: 1.5 }),
  )
  const form = create(303, '/items/new/form/', 'application/x-www-form-urlencoded', () => `name=${name()}&price=12.34&description=Rusty+old+bucket&tax=`)
  const missing: Kind = { expect: 404, request: { method: 'GET', path: '/items/no-such-item/' } }
  const refused: Kind = {
    expect: 422,
    request: { method: 'POST', path: '/items/new/', headers: { 'content-type': 'application/json' }, body: '{"name":"soak-bad","price":"Not a number"}' },
  }
  return [read, json, read, missing, read, form, read, refused, read, json].map(({ expect, request }) => ({
    ...request,
    onResponse: (status: number) => {
      if (status !== expect) counters.unexpected += 1
    },
  }))
}

function metricValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)
  return match?.[1] === undefined ? null : Number(match[1])
}

export interface SoakTarget {
  baseUrl: string
  /** Resident memory of the service now, in kB. */
  rssKb(): Promise<number>
  assertAlive(): void
}

/**
 * Runs the soak. The items it creates are deleted every few seconds, so reads see a collection of steady
 * size (FerretDB's lookups scan it, and would slow down as it grew).
 */
export async function runSoak(
  target: SoakTarget,
  client: MongoClient,
  dbName: string,
  settings: SoakSettings,
  log: (message: string) => void,
): Promise<SoakInterval[]> {
  const intervalSeconds = soakIntervalSeconds(settings.minutes)
  const count = Math.max(1, Math.round((settings.minutes * 60) / intervalSeconds))
  const tag = Date.now().toString(36)
  const items = client.db(dbName).collection<{ _id: string }>('items')
  const ours = { _id: { $gte: `${SOAK_PREFIX}${tag}-`, $lt: `${SOAK_PREFIX}${tag}.` } }
  let cleaning = Promise.resolve()
  const cleaner = setInterval(() => {
    cleaning = cleaning.then(async () => {
      await items.deleteMany(ours)
    })
  }, 5_000)
  const intervals: SoakInterval[] = []
  try {
    for (let index = 1; index <= count; index++) {
      const counters = { unexpected: 0 }
      const samples = new Float64Array(settings.rate * intervalSeconds + 1_000)
      let n = 0
      const rss: number[] = []
      const sampler = setInterval(() => {
        void target.rssKb().then((kb) => rss.push(kb / 1024))
      }, 1_000)
      const started = performance.now()
      let stopper: NodeJS.Timeout | undefined
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: target.baseUrl,
            connections: settings.connections,
            overallRate: settings.rate,
            // An interval is a count of requests at the rate (autocannon's amount overrides a duration)...
            amount: settings.rate * intervalSeconds,
            timeout: 10,
            requests: mix(settings.preloaded, `${tag}-${index}`, counters),
          },
          (err, res) => {
            if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err)))
            else resolve(res)
          },
        )
        instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
          if (n < samples.length) samples[n++] = responseTime
        })
        // ... and is stopped if it takes twice its time (a stalled service), which the missing requests then show.
        stopper = setTimeout(() => {
          instance.stop()
        }, intervalSeconds * 2_000)
      }).finally(() => {
        clearTimeout(stopper)
      })
      const elapsed = (performance.now() - started) / 1000
      clearInterval(sampler)
      rss.push((await target.rssKb()) / 1024)
      target.assertAlive()
      const metrics = await fetch(`${target.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
        .then(async (r) => r.text())
        .catch(() => '')
      const sorted = samples.subarray(0, n).sort()
      const statusCodes: Record<string, number> = {}
      for (const [code, stat] of Object.entries(result.statusCodeStats as Record<string, { count: number }>)) statusCodes[code] = stat.count
      const seconds = (v: number | null): number | null => (v === null ? null : round(v * 1000, 2))
      const heap = metricValue(metrics, 'nodejs_heap_size_used_bytes')
      const interval: SoakInterval = {
        index,
        seconds: round(elapsed, 1),
        requests: result.requests.total,
        // A request never sent because the interval was stopped counts as an error too.
        errors: counters.unexpected + result.errors + result.timeouts + Math.max(0, settings.rate * intervalSeconds - result.requests.total),
        statusCodes,
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        rssMeanMB: round(rss.reduce((a, b) => a + b, 0) / rss.length, 1),
        rssPeakMB: round(Math.max(...rss), 1),
        heapUsedMB: heap === null ? null : round(heap / 2 ** 20, 1),
        loopDelayP99Ms: seconds(metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds')),
        loopDelayMaxMs: seconds(metricValue(metrics, 'nodejs_eventloop_lag_max_seconds')),
      }
      intervals.push(interval)
      log(
        `soak ${index}/${count} (${interval.seconds} s): ${interval.requests} requests, ${interval.errors} errors, p50 ${interval.p50Ms} ms, ` +
          `p99 ${interval.p99Ms} ms, RSS ${interval.rssMeanMB} MB (peak ${interval.rssPeakMB}), heap used ${interval.heapUsedMB ?? '-'} MB, ` +
          `loop delay p99 ${interval.loopDelayP99Ms ?? '-'} ms ${JSON.stringify(statusCodes)}`,
      )
    }
  } finally {
    clearInterval(cleaner)
    await cleaning.catch(() => undefined)
    await items.deleteMany(ours).catch(() => undefined)
  }
  return intervals
}

/**
 * Passes when the last interval is at most SOAK_TOLERANCE above the second on peak RSS and p99, with no error.
 * `p99Decides` is false for 15 s intervals: their p99 (the slowest 45 of 4 500 requests) moves by more than the
 * tolerance with one scheduling hiccup on a shared machine, so there it is reported, not judged.
 */
export function judgeSoak(intervals: SoakInterval[], p99Decides = true): SoakVerdict {
  const errors = intervals.reduce((sum, i) => sum + i.errors, 0)
  const reasons: string[] = []
  if (errors > 0) reasons.push(`${errors} unexpected answers, connection errors or timeouts`)
  const second = intervals[1]
  const last = intervals.at(-1)
  if (second === undefined || last === undefined || last === second) {
    reasons.push('fewer than 3 intervals: nothing to compare')
    return { compared: null, rssChange: null, p99Change: null, p99Decides, errors, passed: false, reasons }
  }
  const rssChange = round(last.rssPeakMB / second.rssPeakMB - 1)
  const p99Change = round(second.p99Ms === 0 ? 0 : last.p99Ms / second.p99Ms - 1)
  if (rssChange > SOAK_TOLERANCE) reasons.push(`peak RSS grew by ${(rssChange * 100).toFixed(1)} % (${second.rssPeakMB} -> ${last.rssPeakMB} MB)`)
  if (p99Decides && p99Change > SOAK_TOLERANCE) reasons.push(`p99 grew by ${(p99Change * 100).toFixed(1)} % (${second.p99Ms} -> ${last.p99Ms} ms)`)
  return { compared: [second.index, last.index], rssChange, p99Change, p99Decides, errors, passed: reasons.length === 0, reasons }
}
