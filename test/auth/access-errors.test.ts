// With writes closed and CORS on, every error is the documented one: the HTML 404 page for browsers, CORS
// only on the JSON API's routes, a `next` that is no plain path never a 500, hostile bodies to /signin and
// /signout a 4xx; and what operators see: the start line, the bearer scheme in any case, private pages, the log.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { accessConfig, csrfToken, editor, newKey, Visitor } from '../../harness/access.js'
import { FORM_TYPE, JSON_TYPE, send } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const PASSWORD = 'correct horse battery staple'
const ORIGIN = 'http://127.0.0.1:5173'
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }
const key = newKey()
const secret = newKey()
const lines: Record<string, unknown>[] = []
const stream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
    done()
  },
})
const running = useApp(
  'access_errors',
  async () => ({ access: accessConfig({ apiKeys: [{ label: 'ci', key }, { label: 'shop', key: newKey() }], editors: [await editor('alice', PASSWORD)], sessionSecret: secret, corsOrigins: [ORIGIN] }) }),
  {
    fastify: { logger: { level: 'info', stream } },
    // A route that fails the way a `next` with non-ASCII text once did: a header Node refuses to write.
    beforeListen: (app) => app.get('/test-only/bad-header', (_request, reply) => reply.redirect('/\u010d', 303)),
  },
)

describe('error answers with writes closed and CORS on', () => {
  it('gives browsers the HTML 404 page for any unknown path, programs the JSON one; never a 405 for OPTIONS', async () => {
    for (const path of ['/favicon.ico', '/no/such/page', '/items/x/y/z']) {
      const page = await send(running.baseUrl, { path, headers: BROWSER })
      expect(page.status, path).toBe(404)
      expect(page.contentType).toMatch(/^text\/html/)
      expect(page.text).toContain('Page not found')
      const json = await send(running.baseUrl, { path })
      expect(json.status).toBe(404)
      expect(json.json).toEqual({ detail: 'Not Found' })
    }
  })

  it('sends CORS headers on the JSON API only, judged by the route an escaped path reaches', async () => {
    expect((await send(running.baseUrl, { path: '/items/', headers: { origin: ORIGIN } })).headers['access-control-allow-origin']).toBe(ORIGIN)
    const escaped = await send(running.baseUrl, { method: 'POST', path: '/items/new/%66orm/', headers: { ...FORM_TYPE, origin: ORIGIN }, body: 'name=x&price=1' })
    expect(escaped.headers.location).toBe('/signin?next=/')
    expect(escaped.headers['access-control-allow-origin']).toBeUndefined()
    const preflight = await send(running.baseUrl, {
      method: 'OPTIONS',
      path: '/items/new/%66orm/',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    })
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('takes a `next` that is not plain ASCII percent-encoded, and one that leaves the site as /: never a 500', async () => {
    const cases: [string, string][] = [
      ['/catalogue/Čajník/', '/catalogue/%C4%8Cajn%C3%ADk/'],
      ['/catalogue/a b/', '/catalogue/a%20b/'],
      ['/\t/evil.example/', '/%09/evil.example/'],
      ['/\u0000', '/%00'],
      ['//evil.example/', '/'],
      ['/\\evil.example/', '/'],
    ]
    for (const [next, location] of cases) {
      const answer = await new Visitor(running.baseUrl).signIn('alice', PASSWORD, next)
      expect(answer.status, JSON.stringify(next)).toBe(303)
      expect(answer.headers.location).toBe(location)
    }
  })

  it('answers an unknown parameter on the sign-in page 422 naming it; `next` is the one it takes', async () => {
    const page = await send(running.baseUrl, { path: '/signin?next=/catalogue/&utm_source=mail', headers: BROWSER })
    expect(page.status).toBe(422)
    expect(page.text).toContain('Unknown parameter utm_source: the parameters here are next')
    expect((await send(running.baseUrl, { path: '/signin?next=/catalogue/', headers: BROWSER })).status).toBe(200)
  })

  it('answers hostile bodies to /signin and /signout with 413, 415 or 400 pages, never a 500', async () => {
    const visitor = new Visitor(running.baseUrl)
    await visitor.signIn('alice', PASSWORD)
    const token = csrfToken((await visitor.get('/catalogue/')).text)
    const cookie = visitor.cookie ?? ''
    for (const path of ['/signin', '/signout']) {
      const bodies: [Record<string, string>, string, number][] = [
        [FORM_TYPE, `_csrf=${token}&name=${'x'.repeat(70_000)}`, 413],
        [{ 'content-type': 'multipart/form-data; boundary=b' }, `--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nalice\r\n--b--\r\n`, 415],
        [{ 'content-type': 'application/xml' }, '<signin><name>alice</name></signin>', 415],
        [JSON_TYPE, '{"name": "alice"}', 415],
        [FORM_TYPE, `_csrf=${token}&name=%FF%FE`, 400],
      ]
      for (const [headers, body, status] of bodies) {
        const answer = await send(running.baseUrl, { method: 'POST', path, headers: { ...headers, cookie }, body })
        expect(answer.status, `${path} ${headers['content-type']}`).toBe(status)
        expect(answer.contentType).toMatch(/^text\/html/)
      }
    }
    expect(lines.filter((line) => (line.res as { statusCode?: number } | undefined)?.statusCode === 500)).toEqual([])
    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([])
  })

  it('answers a 500 with {"detail":"Internal Server Error"} only, also when the failure is a header Node refuses', async () => {
    const answer = await send(running.baseUrl, { path: '/test-only/bad-header' })
    expect(answer.status).toBe(500)
    expect(answer.text).toBe('{"detail":"Internal Server Error"}')
    expect(answer.headers.location).toBeUndefined()
  })
})

describe('what operators see', () => {
  it('logs one info line at start with writes closed: keys by label and editors, no secret', () => {
    const start = lines.filter((line) => String(line.msg).startsWith('writes are closed'))
    expect(start).toHaveLength(1)
    expect(start[0]?.level).toBe(30)
    expect(start[0]?.msg).toBe('writes are closed: 2 API keys (ci, shop), 1 editor')
    const everything = JSON.stringify(lines)
    expect(everything).not.toContain(key)
    expect(everything).not.toContain(secret)
  })

  it('accepts the bearer scheme in any case (RFC 7235)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const answer = await send(running.baseUrl, {
        method: 'POST',
        path: '/items/new/',
        headers: { ...JSON_TYPE, authorization: `${scheme} ${key}` },
        body: JSON.stringify({ name: `scheme ${scheme}`, price: 1 }),
      })
      expect(answer.status, scheme).toBe(201)
    }
  })

  it('marks pages that carry a session’s token private, no-store, varying by Cookie', async () => {
    const visitor = new Visitor(running.baseUrl)
    const signin = await visitor.get('/signin')
    expect(signin.headers['cache-control']).toBe('private, no-store')
    expect(signin.headers.vary).toMatch(/\bCookie\b/i)
    await visitor.signIn('alice', PASSWORD)
    for (const path of ['/', '/catalogue/', '/catalogue/no%20such%20item/']) {
      const page = await visitor.get(path)
      expect(page.text, path).toContain('name="_csrf"')
      expect(page.headers['cache-control'], path).toBe('private, no-store')
      expect(page.headers.vary, path).toMatch(/\bCookie\b/i)
    }
  })

  it('logs a refused sign-in’s name bounded and escaped', async () => {
    const name = `mallory\u001b[31m\n${'y'.repeat(60_000)}`
    expect((await new Visitor(running.baseUrl).signIn(name, 'wrong password')).status).toBe(422)
    const refused = lines.filter((line) => line.msg === 'sign-in refused').at(-1)
    const logged = String(refused?.name)
    expect(logged.length).toBeLessThanOrEqual(100)
    expect(logged).toMatch(/^mallory\[U\+001B\]\[31m\[U\+000A\]y+$/)
  })
})
