// Who may write, over real HTTP: API keys on the JSON create, editors who sign in for the form, CSRF, the
// session cookie, sign-in limits, the metrics token, CORS, and who created each item.
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessConfig, csrfToken, editor, newKey, sessionCookie, Visitor } from '../../harness/access.js'
import type { RunningApp } from '../../harness/app.js'
import { get, JSON_TYPE, postForm, postJson, send, type Answer } from '../../harness/http.js'
import { startTestApp, useApp } from '../setup/test-app.js'

const PASSWORD = 'correct horse battery staple'
const item = (name: string) => ({ name, price: 12.5, description: 'A test item', tax: 1 })
const formItem = (name: string) => ({ name, price: '12.50', description: 'A test item', tax: '1' })

function bearer(key: string): Record<string, string> {
  return { ...JSON_TYPE, authorization: `Bearer ${key}` }
}

function postWithKey(baseUrl: string, body: unknown, key: string): Promise<Answer> {
  return send(baseUrl, { method: 'POST', path: '/items/new/', headers: bearer(key), body: JSON.stringify(body) })
}

/** An answer without what differs between any two answers (date, request id, length of a changing body). */
function comparable(answer: Answer): unknown {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name !== 'date' && name !== 'x-request-id'))
  return { status: answer.status, headers, text: answer.text }
}

describe('API keys on POST /items/new/', () => {
  const keyA = newKey()
  const keyB = newKey()
  const running = useApp('access_keys', { access: accessConfig({ apiKeys: [{ label: 'ci', key: keyA }, { label: 'shop', key: keyB }] }) })

  it('answers 401 with WWW-Authenticate: Bearer and a detail when no key is sent, and stores nothing', async () => {
    const answer = await postJson(running.baseUrl, item('no key'))
    expect(answer.status).toBe(401)
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer\b/)
    expect((answer.json as { detail: string }).detail).toMatch(/Authorization: Bearer <key>/)
    expect(await running.count()).toBe(0)
  })

  it('gives every wrong key the same 401 as no key: first byte, last byte, prefix, longer, another scheme', async () => {
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
    const missing = comparable(await postJson(running.baseUrl, item('wrong')))
    const attempts = [
      bearer(flip(keyA, 0)),
      bearer(flip(keyA, keyA.length - 1)),
      bearer(keyA.slice(0, -1)),
      bearer(`${keyA}x`),
      bearer(''),
      { ...JSON_TYPE, authorization: `Basic ${keyA}` },
    ]
    for (const headers of attempts) {
      const answer = await send(running.baseUrl, { method: 'POST', path: '/items/new/', headers, body: JSON.stringify(item('wrong')) })
      expect(comparable(answer)).toEqual(missing)
    }
    expect(await running.count()).toBe(0)
  })

  it('accepts each configured key (rotation: old and new at once) and stores who created the item', async () => {
    expect((await postWithKey(running.baseUrl, item('by ci'), keyA)).status).toBe(201)
    expect((await postWithKey(running.baseUrl, item('by shop'), keyB)).status).toBe(201)
    const items = running.items
    expect((await items.stored('by ci'))?.createdBy).toBe('key:ci')
    expect((await items.stored('by shop'))?.createdBy).toBe('key:shop')
  })

  it('keeps createdBy out of the public JSON and pages', async () => {
    const one = await get(running.baseUrl, '/items/by%20ci/')
    expect(one.json).toEqual(item('by ci'))
    const list = await get(running.baseUrl, '/items/')
    expect(list.text).not.toMatch(/createdBy|key:ci/)
    const page = await get(running.baseUrl, '/catalogue/by%20ci/')
    expect(page.status).toBe(200)
    expect(page.text).not.toMatch(/key:ci|createdBy/)
  })

  it('closes the form too: POST /items/new/form/ is sent to /signin, which says nobody can sign in, and stores nothing', async () => {
    const answer = await postForm(running.baseUrl, formItem('through the form'))
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/signin?next=/')
    expect((await get(running.baseUrl, '/')).headers.location).toBe('/signin?next=/')
    const signin = await get(running.baseUrl, '/signin')
    expect(signin.status).toBe(200)
    expect(signin.text).toContain('Nobody can sign in on this server')
    expect(await running.stored('through the form')).toBeNull()
  })

  it('documents the bearer scheme and the 401 answer in /docs', async () => {
    const doc = (await get(running.baseUrl, '/openapi.json')).json as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> }
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
    }
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
    const create = doc.paths['/items/new/']?.post
    expect(create?.security).toEqual([{ apiKey: [] }])
    expect(create?.responses).toHaveProperty('401')
  })
})

describe('a key rotated out', () => {
  it('is refused once the server restarts without it, while the new key works', async () => {
    const oldKey = newKey()
    const newer = newKey()
    const before = await startTestApp('access_rotate', { access: accessConfig({ apiKeys: [{ label: 'old', key: oldKey }, { label: 'new', key: newer }] }) })
    const after = await startTestApp('access_rotate2', { access: accessConfig({ apiKeys: [{ label: 'new', key: newer }] }) })
    try {
      expect((await postWithKey(before.baseUrl, item('old key'), oldKey)).status).toBe(201)
      expect((await postWithKey(after.baseUrl, item('old key'), oldKey)).status).toBe(401)
      expect((await postWithKey(after.baseUrl, item('new key'), newer)).status).toBe(201)
    } finally {
      await before.close()
      await after.close()
    }
  })
})

describe('editors who sign in', () => {
  const secret = newKey()
  let running: RunningApp
  let access: ReturnType<typeof accessConfig>

  beforeAll(async () => {
    access = accessConfig({ editors: [await editor('alice', PASSWORD), await editor('bob', PASSWORD)], sessionSecret: secret })
    running = await startTestApp('access_editors', { access })
  })
  afterAll(() => running.close())

  it('sends someone not signed in from / and from the form to /signin, and stores nothing', async () => {
    const front = await get(running.baseUrl, '/')
    expect(front.status).toBe(303)
    expect(front.headers.location).toBe('/signin?next=/')
    const answer = await postForm(running.baseUrl, formItem('anonymous'))
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/signin?next=/')
    expect(await (await running.items()).stored('anonymous')).toBeNull()
  })

  it('closes the JSON API too: editors without keys means no key is right', async () => {
    const answer = await postWithKey(running.baseUrl, item('no keys configured'), newKey())
    expect(answer.status).toBe(401)
    expect((answer.json as { detail: string }).detail).toContain('this server has none (API_KEYS); people sign in at /signin')
  })

  it('shows a sign-in page with labelled fields and a session cookie: HttpOnly, SameSite=Lax, Path=/, an expiry, not Secure over http', async () => {
    const page = await get(running.baseUrl, '/signin')
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/<label for="name">Name<\/label>/)
    expect(page.text).toMatch(/<label for="password">Password<\/label>/)
    expect(page.text).toContain('name="_csrf"')
    const cookie = page.headers['set-cookie'] ?? ''
    expect(cookie).toMatch(/^item-store-session=/)
    expect(cookie).toMatch(/; HttpOnly/)
    expect(cookie).toMatch(/; SameSite=Lax/)
    expect(cookie).toMatch(/; Path=\//)
    expect(cookie).toMatch(/; Max-Age=28800/)
    expect(cookie).not.toMatch(/Secure/)
  })

  it('signs in, shows the editor in the header, creates through the form as that editor, and signs out', async () => {
    const visitor = new Visitor(running.baseUrl)
    const signedIn = await visitor.signIn('alice', PASSWORD)
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.location).toBe('/')
    const front = await visitor.get('/')
    expect(front.status).toBe(200)
    expect(front.text).toMatch(/Signed in as <strong class="name">alice<\/strong>/)
    const created = await visitor.postForm('/items/new/form/', { ...formItem('by alice'), _csrf: csrfToken(front.text) })
    expect(created.status).toBe(303)
    expect(created.headers.location).toBe('/catalogue/by%20alice/')
    expect((await (await running.items()).stored('by alice'))?.createdBy).toBe('editor:alice')
    // Every page's header says who is signed in, with a sign-out button.
    const catalogue = await visitor.get('/catalogue/')
    expect(catalogue.text).toMatch(/<form class="account" method="post" action="\/signout">/)
    const out = await visitor.postForm('/signout', { _csrf: csrfToken(catalogue.text) })
    expect(out.status).toBe(303)
    expect(out.headers['set-cookie']).toMatch(/^item-store-session=;.*Max-Age=0/)
    expect(visitor.cookie).toBeUndefined()
    expect((await visitor.get('/')).headers.location).toBe('/signin?next=/')
    const after = await visitor.postForm('/items/new/form/', { ...formItem('after sign-out'), _csrf: csrfToken(front.text) })
    expect(after.status).toBe(303)
    expect(after.headers.location).toBe('/signin?next=/')
    expect(await (await running.items()).stored('after sign-out')).toBeNull()
  })

  it('keeps the CSRF token and the header in the form it shows again (422), so the corrected form is accepted', async () => {
    const visitor = new Visitor(running.baseUrl)
    await visitor.signIn('alice', PASSWORD)
    const front = await visitor.get('/')
    const invalid = await visitor.postForm('/items/new/form/', { ...formItem('fixed later'), price: 'twelve', _csrf: csrfToken(front.text) })
    expect(invalid.status).toBe(422)
    expect(invalid.text).toContain('Signed in as')
    const fixed = await visitor.postForm('/items/new/form/', { ...formItem('fixed later'), _csrf: csrfToken(invalid.text) })
    expect(fixed.status).toBe(303)
  })

  it('answers a wrong password and an unknown name with the same message', async () => {
    const wrongPassword = await new Visitor(running.baseUrl).signIn('alice', 'not the password')
    const unknownName = await new Visitor(running.baseUrl).signIn('mallory', 'not the password')
    for (const answer of [wrongPassword, unknownName]) {
      expect(answer.status).toBe(422)
      expect(answer.text).toContain('The name or the password is not right')
      expect(answer.text).not.toContain('Signed in as')
    }
    const blank = await new Visitor(running.baseUrl).signIn('', '')
    expect(blank.status).toBe(422)
    expect(blank.text).toContain('Enter your name')
    expect(blank.text).toContain('Enter your password')
  })

  it('refuses the form with 403 without a CSRF token, or with another session’s, and stores nothing', async () => {
    const alice = new Visitor(running.baseUrl)
    const bob = new Visitor(running.baseUrl)
    await alice.signIn('alice', PASSWORD)
    await bob.signIn('bob', PASSWORD)
    const bobsToken = csrfToken((await bob.get('/')).text)
    const without = await alice.postForm('/items/new/form/', formItem('no token'))
    const others = await alice.postForm('/items/new/form/', { ...formItem('other token'), _csrf: bobsToken })
    for (const answer of [without, others]) {
      expect(answer.status).toBe(403)
      expect(answer.contentType).toMatch(/^text\/html/)
      expect(answer.text).toContain('did not come from this site')
    }
    const items = await running.items()
    expect(await items.stored('no token')).toBeNull()
    expect(await items.stored('other token')).toBeNull()
    // A token from before the sign-in is not accepted after it either.
    const visitor = new Visitor(running.baseUrl)
    const anonymousToken = csrfToken((await visitor.get('/signin')).text)
    await visitor.postForm('/signin', { name: 'alice', password: PASSWORD, _csrf: anonymousToken })
    expect((await visitor.postForm('/items/new/form/', { ...formItem('old token'), _csrf: anonymousToken })).status).toBe(403)
  })

  it('refuses sign-in and sign-out without a CSRF token', async () => {
    const visitor = new Visitor(running.baseUrl)
    await visitor.get('/signin')
    const signin = await visitor.postForm('/signin', { name: 'alice', password: PASSWORD })
    expect(signin.status).toBe(403)
    expect(signin.headers.location).toBeUndefined()
    await visitor.signIn('alice', PASSWORD)
    const signout = await visitor.postForm('/signout', {})
    expect(signout.status).toBe(403)
    expect((await visitor.get('/')).status).toBe(200)
  })

  it('sends the signed-in editor back to a path on this site only', async () => {
    expect((await new Visitor(running.baseUrl).signIn('alice', PASSWORD, '/catalogue/')).headers.location).toBe('/catalogue/')
    expect((await new Visitor(running.baseUrl).signIn('alice', PASSWORD, '//evil.example/')).headers.location).toBe('/')
  })

  it('is accepted by a second instance with the same secret (no per-process state), and not with another secret', async () => {
    const visitor = new Visitor(running.baseUrl)
    await visitor.signIn('alice', PASSWORD)
    const second = await startTestApp('access_second', { access })
    const other = await startTestApp('access_other', { access: { ...access, sessionSecret: newKey() } })
    try {
      const elsewhere = new Visitor(second.baseUrl)
      elsewhere.cookie = visitor.cookie
      const front = await elsewhere.get('/')
      expect(front.status).toBe(200)
      expect(front.text).toContain('Signed in as')
      const created = await elsewhere.postForm('/items/new/form/', { ...formItem('on the second'), _csrf: csrfToken(front.text) })
      expect(created.status).toBe(303)
      expect((await (await second.items()).stored('on the second'))?.createdBy).toBe('editor:alice')
      const stranger = new Visitor(other.baseUrl)
      stranger.cookie = visitor.cookie
      expect((await stranger.get('/')).headers.location).toBe('/signin?next=/')
    } finally {
      await second.close()
      await other.close()
    }
  })
})

describe('the session cookie behind a proxy, and its expiry', () => {
  it('is Secure when a trusted proxy says the request came over https, and not when an untrusted client says so', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const proxied = await startTestApp('access_proxy', { access }, { fastify: { trustProxy: ['127.0.0.1'] } })
    const direct = await startTestApp('access_direct', { access })
    try {
      const https = { 'x-forwarded-proto': 'https' }
      const behindProxy = await send(proxied.baseUrl, { path: '/signin', headers: https })
      expect(behindProxy.headers['set-cookie']).toMatch(/; Secure/)
      const spoofed = await send(direct.baseUrl, { path: '/signin', headers: https })
      expect(spoofed.headers['set-cookie']).not.toMatch(/Secure/)
    } finally {
      await proxied.close()
      await direct.close()
    }
  })

  it('ends after its lifetime', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey(), sessionSeconds: 1 })
    const running = await startTestApp('access_expiry', { access })
    try {
      const visitor = new Visitor(running.baseUrl)
      const signedIn = await visitor.signIn('alice', PASSWORD)
      expect(signedIn.headers['set-cookie']).toMatch(/; Max-Age=1/)
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      expect((await visitor.get('/')).headers.location).toBe('/signin?next=/')
    } finally {
      await running.close()
    }
  })
})

describe('sign-in attempts', () => {
  it('are limited per name and per address: 429 with Retry-After', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const running = await startTestApp('access_limits', { access, signinLimits: { perNameAndAddress: 3, perAddress: 6 } })
    try {
      const visitor = new Visitor(running.baseUrl)
      for (let i = 0; i < 3; i++) expect((await visitor.signIn('alice', 'wrong password')).status).toBe(422)
      const byName = await visitor.signIn('ALICE', PASSWORD)
      expect(byName.status).toBe(429)
      expect(Number(byName.headers['retry-after'])).toBeGreaterThan(0)
      expect(byName.text).toContain('Too many sign-in attempts for that name')
      // Other names still get an answer until the address has used its attempts (4 so far).
      expect((await visitor.signIn('carol', 'wrong password')).status).toBe(422)
      expect((await visitor.signIn('dave', 'wrong password')).status).toBe(422)
      const byAddress = await visitor.postForm('/signin', { name: 'erin', password: 'x' })
      expect(byAddress.status).toBe(429)
      expect(byAddress.text).toContain('Too many sign-in attempts from your address')
      expect(Number(byAddress.headers['retry-after'])).toBeGreaterThan(0)
    } finally {
      await running.close()
    }
  })
})

describe('METRICS_TOKEN', () => {
  it('makes /metrics answer 401 without the token or with a wrong one, and 200 with it', async () => {
    const token = newKey()
    const running = await startTestApp('access_metrics', { access: accessConfig({ metricsToken: token }) })
    try {
      const none = await get(running.baseUrl, '/metrics')
      expect(none.status).toBe(401)
      expect(none.headers['www-authenticate']).toMatch(/^Bearer\b/)
      expect((none.json as { detail: string }).detail).toContain('metrics token')
      const wrong = await send(running.baseUrl, { path: '/metrics', headers: { authorization: `Bearer ${newKey()}` } })
      expect(wrong.status).toBe(401)
      const right = await send(running.baseUrl, { path: '/metrics', headers: { authorization: `Bearer ${token}` } })
      expect(right.status).toBe(200)
      expect(right.text).toContain('http_requests_total')
      // The metrics token is not an API key; writes stay open here.
      expect((await postJson(running.baseUrl, item('open'))).status).toBe(201)
    } finally {
      await running.close()
    }
  })
})

describe('CORS_ORIGINS', () => {
  it('lets the listed origins call the JSON API with a key, and no origin the pages or the form', async () => {
    const key = newKey()
    const origin = 'http://127.0.0.1:5173'
    const running = await startTestApp('access_cors', { access: accessConfig({ apiKeys: [{ label: 'app', key }], corsOrigins: [origin] }) })
    try {
      const preflight = (path: string, from: string) =>
        send(running.baseUrl, {
          method: 'OPTIONS',
          path,
          headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        })
      const allowed = await preflight('/items/new/', origin)
      expect(allowed.headers['access-control-allow-origin']).toBe(origin)
      expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/)
      expect((await preflight('/items/new/', 'http://127.0.0.1:6666')).headers['access-control-allow-origin']).toBeUndefined()
      expect((await preflight('/items/new/form/', origin)).headers['access-control-allow-origin']).toBeUndefined()
      const created = await send(running.baseUrl, { method: 'POST', path: '/items/new/', headers: { ...bearer(key), origin }, body: JSON.stringify(item('from the app')) })
      expect(created.status).toBe(201)
      expect(created.headers['access-control-allow-origin']).toBe(origin)
      expect(created.headers['access-control-expose-headers']).toMatch(/Location/)
      const page = await send(running.baseUrl, { path: '/catalogue/', headers: { origin } })
      expect(page.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await running.close()
    }
  })

  it('is off by default: no CORS header for any origin', async () => {
    const running = await startTestApp('access_nocors', {})
    try {
      const answer = await send(running.baseUrl, { path: '/items/', headers: { origin: 'http://127.0.0.1:5173' } })
      expect(answer.status).toBe(200)
      expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await running.close()
    }
  })
})

describe('the log', () => {
  function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
    const lines: Record<string, unknown>[] = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      },
    })
    return { lines, stream }
  }

  it('warns once at start when writes are open, and names who created an item', async () => {
    const open = capture()
    const running = await startTestApp('access_log_open', {}, { fastify: { logger: { level: 'info', stream: open.stream } } })
    try {
      const warnings = open.lines.filter((line) => String(line.msg).startsWith('writes are open'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.level).toBe(40)
      expect(String(warnings[0]?.msg)).toMatch(/anyone who can reach this service can create items.*API_KEYS.*EDITORS_FILE/)
    } finally {
      await running.close()
    }
    const closed = capture()
    const key = newKey()
    const withKeys = await startTestApp('access_log_closed', { access: accessConfig({ apiKeys: [{ label: 'ci', key }] }) }, { fastify: { logger: { level: 'info', stream: closed.stream } } })
    try {
      expect(closed.lines.some((line) => String(line.msg).startsWith('writes are open'))).toBe(false)
      expect((await postWithKey(withKeys.baseUrl, item('logged'), key)).status).toBe(201)
      const created = closed.lines.find((line) => line.msg === 'request completed' && (line.req as { url?: string } | undefined)?.url === '/items/new/')
      expect(created).toMatchObject({ createdBy: 'key:ci', res: { statusCode: 201 } })
      expect(JSON.stringify(closed.lines)).not.toContain(key)
    } finally {
      await withKeys.close()
    }
  })
})

describe('sessionCookie', () => {
  it('reads the session cookie among others from Set-Cookie, Expires dates included', () => {
    const header = 'item-store-notice=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/, item-store-session=abc%3D; Path=/'
    const answer = { status: 200, headers: { 'set-cookie': header }, contentType: '', text: '', json: undefined }
    expect(sessionCookie(answer)).toBe('item-store-session=abc%3D')
  })
})
