// RATE_LIMIT_CREATES over real HTTP: both create routes draw on one bucket per client address, a create over
// the limit answers 429 with Retry-After and stores nothing, reads are never limited, and with TRUST_PROXY the
// address comes from X-Forwarded-For.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import type { RunningApp } from '../../harness/app.js'
import { JSON_TYPE, get, postForm, postJson, send } from '../../harness/http.js'
import { startTestApp } from '../setup/test-app.js'

const LIMIT = 5

async function postJsonFrom(baseUrl: string, body: unknown, forwardedFor: string): Promise<number> {
  const answer = await send(baseUrl, {
    method: 'POST',
    path: '/items/new/',
    headers: { ...JSON_TYPE, 'x-forwarded-for': forwardedFor },
    body: JSON.stringify(body),
  })
  return answer.status
}

function retryAfterSeconds(headers: Record<string, string>): number {
  const raw = headers['retry-after']
  expect(raw).toMatch(/^\d+$/)
  return Number(raw)
}

describe('the create limit', () => {
  let running: RunningApp
  beforeAll(async () => {
    running = await startTestApp('create-limit', { rateLimitCreates: LIMIT })
  })
  afterAll(async () => {
    await running.close()
  })

  it('shares one bucket between the JSON and the form route, answers 429 beyond it, and stores nothing then', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await postJson(running.baseUrl, { name: `json-${i}`, price: 1 })).status)
    for (let i = 0; i < 2; i++) statuses.push((await postForm(running.baseUrl, { name: `form-${i}`, price: '1' })).status)
    expect(statuses).toEqual([201, 201, 201, 303, 303])

    const json = await postJson(running.baseUrl, { name: 'over-json', price: 1 })
    expect(json.status).toBe(429)
    const jsonWait = retryAfterSeconds(json.headers)
    expect(jsonWait).toBeGreaterThanOrEqual(1)
    expect(jsonWait).toBeLessThanOrEqual(60)
    expect((json.json as { detail: string }).detail).toMatch(new RegExp(`at most ${LIMIT} a minute.*Try again in \\d+ seconds?`))

    const form = await postForm(running.baseUrl, { name: 'over-form', price: '1' })
    expect(form.status).toBe(429)
    expect(form.contentType).toMatch(/^text\/html/)
    const page = form.text
    expect(page).toMatch(/Try again in \d+ seconds?/)
    expect(page).toContain('HTTP 429')
    expect(retryAfterSeconds(form.headers)).toBeGreaterThanOrEqual(1)

    // Nothing from the refused creates, everything from the accepted ones.
    expect((await get(running.baseUrl, '/items/over-json/')).status).toBe(404)
    expect((await get(running.baseUrl, '/items/over-form/')).status).toBe(404)
    const list = (await get(running.baseUrl, '/items/?limit=100')).json as { items: { name: string }[] }
    expect(list.items.map((item) => item.name)).toEqual(['form-0', 'form-1', 'json-0', 'json-1', 'json-2'])
  })

  it('never limits reads', async () => {
    const statuses = new Set<number>()
    for (let i = 0; i < 3 * LIMIT; i++) {
      const [one, list] = await Promise.all([get(running.baseUrl, '/items/json-0/'), get(running.baseUrl, '/items/?limit=1')])
      statuses.add(one.status).add(list.status)
    }
    expect([...statuses]).toEqual([200])
  })

  it('is documented in /docs: 429 on both create routes', async () => {
    const spec = (await get(running.baseUrl, '/openapi.json')).json as {
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>
    }
    expect(Object.keys(spec.paths['/items/new/']?.post?.responses ?? {})).toContain('429')
    expect(Object.keys(spec.paths['/items/new/form/']?.post?.responses ?? {})).toContain('429')
  })
})

describe('the create limit and the client address', () => {
  it('counts each X-Forwarded-For address on its own when the proxy is trusted (TRUST_PROXY=1)', async () => {
    const running = await startTestApp('limit-proxy', { rateLimitCreates: 2 }, { fastify: { trustProxy: loadConfig({ TRUST_PROXY: '1' }).trustProxy } })
    try {
      const first = [
        await postJsonFrom(running.baseUrl, { name: 'a-1', price: 1 }, '203.0.113.1'),
        await postJsonFrom(running.baseUrl, { name: 'a-2', price: 1 }, '203.0.113.1'),
        await postJsonFrom(running.baseUrl, { name: 'a-3', price: 1 }, '203.0.113.1'),
      ]
      expect(first).toEqual([201, 201, 429])
      expect(await postJsonFrom(running.baseUrl, { name: 'b-1', price: 1 }, '203.0.113.2')).toBe(201)
    } finally {
      await running.close()
    }
  })

  it('ignores X-Forwarded-For by default, so a client cannot dodge the limit by inventing addresses', async () => {
    const running = await startTestApp('limit-noproxy', { rateLimitCreates: 2 })
    try {
      const statuses = [
        await postJsonFrom(running.baseUrl, { name: 'c-1', price: 1 }, '198.51.100.1'),
        await postJsonFrom(running.baseUrl, { name: 'c-2', price: 1 }, '198.51.100.2'),
        await postJsonFrom(running.baseUrl, { name: 'c-3', price: 1 }, '198.51.100.3'),
      ]
      expect(statuses).toEqual([201, 201, 429])
      expect((await get(running.baseUrl, '/items/c-3/')).status).toBe(404)
    } finally {
      await running.close()
    }
  })
})
