// Exports of a large catalogue, on a quiet machine (npm run test:load): FerretDB sorts the whole collection before
// the first item, which on a busy machine can pass the server's 15 s idle timeout. At most two exports per
// client and four in all; items created during an export appear at most once, in name order.
import { request as httpRequest } from 'node:http'
import { Long, ObjectId } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { postJson, send } from '../../harness/http.js'
import { CSV_TYPE, generatedCsv, generatedItem, importFile } from '../../harness/transfer.js'
import { useApp } from '../setup/test-app.js'

describe('export limits', () => {
  const running = useApp('export_limits', {}, { fastify: { trustProxy: true } })

  it('runs at most two exports per client and four in all; beyond, 429 or 503 with Retry-After', async () => {
    // Enough items (a few MB of CSV) that an export its client does not read stays open: the socket buffers fill.
    const { collection } = running.items
    for (let start = 0; start < 15_000; start += 5_000) {
      await collection.insertMany(
        Array.from({ length: 5_000 }, (_, i) => ({
          _id: `held-${String(start + i).padStart(6, '0')}`,
          priceCents: Long.fromNumber(100),
          description: 'An item that makes the export long enough to be held open by a client that does not read',
          taxCents: null,
          createdAt: new Date(),
          writeToken: new ObjectId(),
        })),
      )
    }
    const held: (() => void)[] = []
    const hold = (client: string) =>
      new Promise<number>((resolve, reject) => {
        const { hostname, port } = new URL(running.baseUrl)
        const req = httpRequest({ host: hostname, port, path: '/export/items.csv', headers: { 'x-forwarded-for': client } }, (res) => {
          res.pause()
          held.push(() => req.destroy())
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    try {
      expect(await hold('198.51.100.1')).toBe(200)
      expect(await hold('198.51.100.1')).toBe(200)
      const third = await send(running.baseUrl, { path: '/export/items.csv', headers: { 'x-forwarded-for': '198.51.100.1' } })
      expect(third.status).toBe(429)
      expect(third.headers['retry-after']).toBe('5')
      expect(await hold('198.51.100.2')).toBe(200)
      expect(await hold('198.51.100.3')).toBe(200)
      const fifth = await send(running.baseUrl, { path: '/export/items.ndjson', headers: { 'x-forwarded-for': '198.51.100.4' } })
      expect(fifth.status).toBe(503)
      expect(fifth.headers['retry-after']).toBe('5')
    } finally {
      for (const release of held) release()
    }
    // Slots come back when the connections close.
    await expect.poll(async () => (await send(running.baseUrl, { path: '/export/items.csv', headers: { 'x-forwarded-for': '198.51.100.1' } }, { timeoutMs: 30_000 })).status, { timeout: 120_000, interval: 1_000 }).toBe(200)
  }, 120_000)

  it('lists every item once in name order, and items created during the export at most once', async () => {
    expect((await importFile(running.baseUrl, generatedCsv(5, 2_000), { ...CSV_TYPE, 'x-forwarded-for': '192.0.2.10' })).summary?.created).toBe(5)
    const text = await new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(running.baseUrl)
      const req = httpRequest({ host: hostname, port, path: '/export/items.ndjson' }, (res) => {
        let body = ''
        let creating: Promise<unknown> | undefined
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
          // Created while the export is under way, before and after where it is: each appears once or not at all.
          creating ??= Promise.all(['aaa-during', 'zzz-during'].map((name) => postJson(running.baseUrl, { name, price: 1 })))
        })
        res.on('end', () => {
          void creating?.then(() => {
            resolve(body)
          }, reject)
        })
      })
      req.on('error', reject)
      req.end()
    })
    const names = text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { name: string }).name)
    expect(new Set(names).size).toBe(names.length)
    expect([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(names)
    expect(names).toContain(generatedItem(2_004).name)
    expect(names).toContain('held-014999')
  })

})
