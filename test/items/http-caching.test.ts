// What the item reads tell browsers and proxies (src/http/conditional.ts, src/items/routes.ts and
// page-routes.ts): a strong ETag and `public, max-age=31536000, immutable` on a stored item's JSON and on its
// page as everyone sees it, 304 to a matching If-None-Match (a tag, a list, W/, *), the same tag from every
// instance; `private, no-store` and no tag on a page with something of one person's own (a signed-in editor,
// the form's one-time notice); `no-cache` on lists, the catalogue and 404s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessConfig, editor, newKey, Visitor } from '../../harness/access.js'
import { startApp, type RunningApp } from '../../harness/app.js'
import { get, postForm, postJson, send, type Answer } from '../../harness/http.js'
import { startTestApp, useApp } from '../setup/test-app.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const STRONG_TAG = /^"[\w-]{22}"$/

const fx = useApp('http_caching')

function conditional(path: string, ifNoneMatch: string, method = 'GET'): Promise<Answer> {
  return send(fx.baseUrl, { method, path, headers: { 'if-none-match': ifNoneMatch } })
}

describe('a stored item, as JSON and as its page', () => {
  const paths = { json: '/items/Tin%20cup/', page: '/catalogue/Tin%20cup/' }
  beforeAll(async () => {
    expect((await postJson(fx.baseUrl, { name: 'Tin cup', price: 4, description: 'Dented' })).status).toBe(201)
  })

  for (const [kind, path] of Object.entries(paths)) {
    it(`${kind}: a strong ETag and Cache-Control immutable, the same bytes and tag on the first read and later ones`, async () => {
      const first = await get(fx.baseUrl, path)
      const second = await get(fx.baseUrl, path)
      expect(first.status).toBe(200)
      expect(first.headers.etag).toMatch(STRONG_TAG)
      expect(first.headers['cache-control']).toBe(IMMUTABLE)
      expect(second.headers.etag).toBe(first.headers.etag)
      expect(second.headers['cache-control']).toBe(IMMUTABLE)
      expect(second.text).toBe(first.text)
      expect(second.headers['content-type']).toBe(first.headers['content-type'])
    })

    it(`${kind}: 304 with no body to If-None-Match naming its tag (alone, in a list, weak, or *), 200 to another tag`, async () => {
      const tag = (await get(fx.baseUrl, path)).headers.etag ?? ''
      for (const header of [tag, `"elsewhere", ${tag}`, `W/${tag}`, '*']) {
        const answer = await conditional(path, header)
        expect(answer.status, header).toBe(304)
        expect(answer.text, header).toBe('')
        expect(answer.headers.etag, header).toBe(tag)
        expect(answer.headers['cache-control'], header).toBe(IMMUTABLE)
      }
      expect((await conditional(path, tag, 'HEAD')).status).toBe(304)
      const other = await conditional(path, '"not-this-one"')
      expect(other.status).toBe(200)
      expect(other.headers.etag).toBe(tag)
    })
  }

  it('the page says it varies with cookies (a signed-in editor, a notice), the JSON does not', async () => {
    expect((await get(fx.baseUrl, paths.page)).headers.vary).toMatch(/cookie/i)
    expect((await get(fx.baseUrl, paths.json)).headers.vary ?? '').not.toMatch(/cookie/i)
  })

  it('has the same tag on another instance that never read it, so a proxy in front of several can revalidate with either', async () => {
    const other = await startApp({ mongodbUri: fx.running.mongodbUri })
    try {
      for (const path of Object.values(paths)) {
        const here = await get(fx.baseUrl, path)
        const there = await get(other.baseUrl, path)
        expect(here.headers.etag, path).toMatch(STRONG_TAG)
        expect(there.headers.etag, path).toBe(here.headers.etag)
        expect(there.text, path).toBe(here.text)
      }
    } finally {
      // Not other.close(): that would drop the database the file's own app still uses.
      await other.app.close()
    }
  })
})

describe('what changes with every create', () => {
  it('lists, searches, the catalogue and 404s are no-cache, with no tag', async () => {
    for (const path of ['/items/', '/items/?prefix=T', '/catalogue/', '/catalogue/?q=T', '/items/Nobody/', '/catalogue/Nobody/']) {
      const answer = await get(fx.baseUrl, path)
      expect(answer.headers['cache-control'], path).toBe('no-cache')
      expect(answer.headers.etag, path).toBeUndefined()
    }
  })
})

describe('the page after the form’s redirect', () => {
  it('says "Item stored." once, private and unstored, even to If-None-Match; without the notice it is the shared page', async () => {
    const shared = await get(fx.baseUrl, '/catalogue/Ladle/')
    expect(shared.status).toBe(404)
    const created = await postForm(fx.baseUrl, { name: 'Ladle', price: '2.20' })
    expect(created.status).toBe(303)
    const cookie = (created.headers['set-cookie'] ?? '').split(';', 1)[0] ?? ''
    // A copy of the shared page read first, so the notice must come around it.
    const plain = await get(fx.baseUrl, '/catalogue/Ladle/')
    const tag = plain.headers.etag ?? ''
    const noticed = await send(fx.baseUrl, { path: created.headers.location ?? '', headers: { cookie, 'if-none-match': tag } })
    expect(noticed.status).toBe(200)
    expect(noticed.text).toContain('Item stored.')
    expect(noticed.headers['cache-control']).toBe('private, no-store')
    expect(noticed.headers.etag).toBeUndefined()
    expect(noticed.headers['set-cookie']).toMatch(/Max-Age=0/)
    expect(plain.text).not.toContain('Item stored.')
    expect(plain.headers['cache-control']).toBe(IMMUTABLE)
    expect(plain.headers['set-cookie']).toBeUndefined()
  })
})

describe('with editors who sign in', () => {
  const PASSWORD = 'a long enough test password'
  let running: RunningApp
  beforeAll(async () => {
    running = await startTestApp('http_caching_editors', { access: accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() }) })
    const visitor = new Visitor(running.baseUrl)
    expect((await visitor.signIn('alice', PASSWORD)).status).toBe(303)
    const form = await visitor.get('/')
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? ''
    expect((await visitor.postForm('/items/new/form/', { name: 'Shared jug', price: '9', _csrf: token })).status).toBe(303)
  })
  afterAll(() => running.close())

  it('gives a signed-in editor the page with their name and token, private and unstored; everyone else the shared page', async () => {
    // Someone not signed in first, so the shared page is kept in memory before the editor asks.
    const anonymous = await get(running.baseUrl, '/catalogue/Shared%20jug/')
    expect(anonymous.status).toBe(200)
    expect(anonymous.headers['cache-control']).toBe(IMMUTABLE)
    expect(anonymous.text).toContain('<a href="/signin">Sign in</a>')
    expect(anonymous.text).not.toContain('alice')

    const visitor = new Visitor(running.baseUrl)
    expect((await visitor.signIn('alice', PASSWORD)).status).toBe(303)
    const mine = await send(running.baseUrl, { path: '/catalogue/Shared%20jug/', headers: { cookie: visitor.cookie ?? '', 'if-none-match': anonymous.headers.etag ?? '' } })
    expect(mine.status).toBe(200)
    expect(mine.headers['cache-control']).toBe('private, no-store')
    expect(mine.headers.etag).toBeUndefined()
    expect(mine.text).toContain('Signed in as <strong class="name">alice</strong>')
    expect(mine.text).toContain('name="_csrf"')
    // The editor's pages of the catalogue are theirs alone too.
    const catalogue = await visitor.get('/catalogue/')
    expect(catalogue.headers['cache-control']).toBe('private, no-store')
    // And the shared page is still the shared page.
    const later = await get(running.baseUrl, '/catalogue/Shared%20jug/')
    expect(later.text).toBe(anonymous.text)
  })
})
