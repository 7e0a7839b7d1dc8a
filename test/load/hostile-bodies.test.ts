// Bodies built to make parsing expensive: many keys, many repeats of one key, runs of `&` and `=`, very
// long keys, on both body types and on paths no route serves. Each is answered in well under a second,
// and /healthz keeps answering while several arrive at once.
import { describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js'
import { FORM_TYPE, JSON_TYPE, send, timed, type Request as RawRequest } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const ANSWER_BOUND_MS = 1_000
// Just under the body limit, so the parser, not the limit, meets each one.
const SIZE = BODY_LIMIT_BYTES - 1_024

const fill = (unit: string): string => unit.repeat(Math.floor(SIZE / unit.length))

const FORM_BODIES: Record<string, string> = {
  'one key repeated 32 000 times': fill('a&'),
  'one field repeated with values': fill('price=1&'),
  'many distinct keys': Array.from({ length: Math.floor(SIZE / 8) }, (_, i) => `k${i.toString(36)}=v`).join('&').slice(0, SIZE),
  'only ampersands': fill('&'),
  'only equals signs': fill('='),
  'equals and ampersands': fill('=&'),
  'one very long key': `${'k'.repeat(SIZE - 10)}=v&price=1`,
  'escapes everywhere': fill('%41='),
}

const JSON_BODIES: Record<string, string> = {
  'many distinct keys': `{${Array.from({ length: Math.floor(SIZE / 12) }, (_, i) => `"k${i.toString(36)}":1`).join(',')}}`.slice(0, SIZE - 1) + '}',
  'one key repeated': `{${fill('"a":1,').slice(0, SIZE - 20)}"a":1}`,
  'one very long key': `{"${'k'.repeat(SIZE - 30)}":1,"price":1}`,
  'many empty strings': `[${fill('"",').slice(0, SIZE - 10)}""]`,
}

const fx = useApp('reliability_hostile_bodies')

const cases: [string, RawRequest][] = [
  ...Object.entries(FORM_BODIES).flatMap(([label, body]): [string, RawRequest][] => [
    [`form route: ${label}`, { method: 'POST', path: '/items/new/form/', headers: FORM_TYPE, body }],
    [`no route: ${label}`, { method: 'POST', path: '/nope', headers: FORM_TYPE, body }],
    [`unserved method: ${label}`, { method: 'PUT', path: '/items/new/form/', headers: FORM_TYPE, body }],
  ]),
  ...Object.entries(JSON_BODIES).flatMap(([label, body]): [string, RawRequest][] => [
    [`JSON route: ${label}`, { method: 'POST', path: '/items/new/', headers: JSON_TYPE, body }],
    [`no route, JSON: ${label}`, { method: 'POST', path: '/nope', headers: JSON_TYPE, body }],
  ]),
]

describe('hostile bodies', () => {
  it.each(cases)('%s: a 4xx in well under a second', async (_label, request) => {
    expect(Buffer.byteLength(request.body ?? '')).toBeLessThanOrEqual(BODY_LIMIT_BYTES)
    const { answer, ms } = await timed(() => send(fx.baseUrl, request))
    expect(answer.status).toBeGreaterThanOrEqual(400)
    expect(answer.status).toBeLessThan(500)
    expect(ms).toBeLessThan(ANSWER_BOUND_MS)
  })

  it('/healthz answers promptly while eight 64 KB repeated-key bodies arrive at once', async () => {
    const body = FORM_BODIES['one key repeated 32 000 times']
    const hostile = Array.from({ length: 8 }, (_, i) =>
      timed(() => send(fx.baseUrl, { method: 'POST', path: i % 2 === 0 ? '/items/new/form/' : '/nope', headers: FORM_TYPE, body })),
    )
    const health = await timed(() => send(fx.baseUrl, { path: '/healthz' }))
    const answers = await Promise.all(hostile)
    expect(health.answer.status).toBe(200)
    expect(health.ms).toBeLessThan(ANSWER_BOUND_MS)
    for (const answer of answers) expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS * 2)
    process.stderr.write(
      `[reliability] hostile bodies: /healthz in ${health.ms.toFixed(0)} ms beside 8 repeated-key bodies (slowest ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms)\n`,
    )
  })
})
