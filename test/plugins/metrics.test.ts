// GET /metrics over real HTTP: a create and a read move the counters a dashboard would watch, route labels
// are patterns (an item's name never becomes a label), and METRICS=off removes the route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UNMATCHED_ROUTE } from '../../src/plugins/metrics.js'
import { startApp, type RunningApp } from '../../harness/app.js'
import { findDatabase, type StoppableDatabase } from '../../harness/database.js'
import { get, postForm, postJson } from '../../harness/http.js'
import { metricValue as value, parseMetrics, type Sample } from '../../harness/metrics.js'
import { withDatabase } from '../../harness/mongo-uri.js'
import { startTestApp } from '../setup/test-app.js'

async function scrape(baseUrl: string): Promise<{ text: string; samples: Sample[] }> {
  const answer = await get(baseUrl, '/metrics')
  expect(answer.status).toBe(200)
  expect(answer.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  return { text: answer.text, samples: parseMetrics(answer.text) }
}

const CREATED = { method: 'POST', route: '/items/new/', status_code: '201' }
const READ = { method: 'GET', route: '/items/:name/', status_code: '200' }

describe('/metrics', () => {
  let running: RunningApp
  beforeAll(async () => {
    running = await startTestApp('metrics')
  })
  afterAll(async () => {
    await running.close()
  })

  it('counts a create, its identical retry, a form create and a read by route pattern, and only new items as created', async () => {
    const name = 'Metrics Kettle ü/1'
    const before = (await scrape(running.baseUrl)).samples

    expect((await postJson(running.baseUrl, { name, price: 12.5 })).status).toBe(201)
    const afterCreate = (await scrape(running.baseUrl)).samples
    expect(value(afterCreate, 'http_requests_total', CREATED) - value(before, 'http_requests_total', CREATED)).toBe(1)
    expect(value(afterCreate, 'http_request_duration_seconds_count', CREATED)).toBe(value(afterCreate, 'http_requests_total', CREATED))
    expect(value(afterCreate, 'items_created_total') - value(before, 'items_created_total')).toBe(1)
    const inserts = { operation: 'insert' }
    expect(value(afterCreate, 'db_operation_duration_seconds_count', inserts) - value(before, 'db_operation_duration_seconds_count', inserts)).toBe(1)

    // A safe retry answers 200 and stores nothing: the request counts, the items do not.
    expect((await postJson(running.baseUrl, { name, price: 12.5 })).status).toBe(200)
    const form = await postForm(running.baseUrl, { name: 'Metrics Form Lamp', price: '3' })
    expect(form.status).toBe(303)
    const read = await get(running.baseUrl, `/items/${encodeURIComponent(name)}/`)
    expect(read.status).toBe(200)
    const unmatched = await get(running.baseUrl, `/no-such-route/${encodeURIComponent(name)}`)
    expect(unmatched.status).toBe(404)

    const { text, samples: after } = await scrape(running.baseUrl)
    const delta = (metric: string, labels: Record<string, string> = {}): number => value(after, metric, labels) - value(before, metric, labels)
    expect(delta('http_requests_total', { ...CREATED, status_code: '200' })).toBe(1)
    expect(delta('http_requests_total', { method: 'POST', route: '/items/new/form/', status_code: '303' })).toBe(1)
    expect(delta('http_requests_total', READ)).toBe(1)
    expect(delta('http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(1)
    // Two new items: the JSON create and the form create; the retry is not one.
    expect(delta('items_created_total')).toBe(2)
    // The read's lookup, and the retry's look at the stored item.
    expect(delta('db_operation_duration_seconds_count', { operation: 'find' })).toBe(2)
    expect(delta('db_operation_failures_total', { operation: 'insert' })).toBe(0)
    // Names are never label values, in any spelling.
    expect(text).not.toContain('Kettle')
    expect(text).not.toContain('no-such-route')
    expect(new Set(after.map((sample) => sample.labels.route).filter((route) => route !== undefined))).toEqual(
      new Set(['/items/new/', '/items/new/form/', '/items/:name/', '/metrics', '/readyz', UNMATCHED_ROUTE]),
    )
  })

  it('is documented in /docs', async () => {
    const spec = (await get(running.baseUrl, '/openapi.json')).json as { paths: Record<string, { get?: { tags?: string[] } }> }
    expect(spec.paths['/metrics']?.get?.tags).toEqual(['metrics'])
  })

  it('reports the process: heap, resident memory, event-loop lag', async () => {
    const { samples } = await scrape(running.baseUrl)
    expect(value(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds')).toBe(true)
  })

  it('keeps each app instance on its own registry', async () => {
    const other = await startTestApp('metrics-other')
    try {
      expect((await postJson(other.baseUrl, { name: 'Only here', price: 1 })).status).toBe(201)
      expect(value((await scrape(other.baseUrl)).samples, 'items_created_total')).toBe(1)
      expect(value((await scrape(running.baseUrl)).samples, 'items_created_total')).toBe(2)
    } finally {
      await other.close()
    }
  })
})

describe('/metrics with METRICS=off', () => {
  it('is not served, and the service works as before', async () => {
    const running = await startTestApp('metrics-off', { metrics: false })
    try {
      expect((await get(running.baseUrl, '/metrics')).status).toBe(404)
      expect((await postJson(running.baseUrl, { name: 'No metrics', price: 1 })).status).toBe(201)
      const spec = (await get(running.baseUrl, '/openapi.json')).json as { paths: Record<string, unknown> }
      expect(Object.keys(spec.paths)).not.toContain('/metrics')
    } finally {
      await running.close()
    }
  })
})

describe('database failures in /metrics', () => {
  let db: StoppableDatabase | undefined
  let running: RunningApp
  beforeAll(async () => {
    db = await findDatabase(['ferretdb', 'container'])
    running = await startApp({ mongodbUri: withDatabase(db.uri, 'metrics_failures'), dbOperationTimeoutMs: 300 })
  })
  afterAll(async () => {
    try {
      await db?.thaw().catch(() => undefined)
      await (running as RunningApp | undefined)?.close()
    } finally {
      await db?.dispose()
    }
  })

  it('counts a read that passed its bound as a failed find, and a refused duplicate as no failure', async () => {
    expect((await postJson(running.baseUrl, { name: 'Taken', price: 1 })).status).toBe(201)
    expect((await postJson(running.baseUrl, { name: 'Taken', price: 2 })).status).toBe(409)
    const before = (await scrape(running.baseUrl)).samples
    expect(value(before, 'db_operation_failures_total', { operation: 'insert' })).toBe(0)

    await db?.freeze()
    let status: number
    try {
      status = (await get(running.baseUrl, '/items/Taken/')).status
    } finally {
      await db?.thaw()
    }
    expect(status).toBe(503)
    const after = (await scrape(running.baseUrl)).samples
    expect(value(after, 'db_operation_failures_total', { operation: 'find' }) - value(before, 'db_operation_failures_total', { operation: 'find' })).toBe(1)
    expect(value(after, 'db_operation_duration_seconds_count', { operation: 'find' })).toBeGreaterThan(value(before, 'db_operation_duration_seconds_count', { operation: 'find' }))
  })
})
