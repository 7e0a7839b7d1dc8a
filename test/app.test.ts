// The README's endpoint table: every path with and without its trailing slash, item URLs for awkward
// names, 404s, the form page, the OpenAPI document and the docs.
import { describe, expect, it } from 'vitest'
import { detailOf, get, JSON_TYPE, postForm, postJson, send } from '../harness/http.js'
import { useApp } from './setup/test-app.js'

const fx = useApp('endpoints')

describe('trailing slashes are optional', () => {
  it.each(['/items/new/', '/items/new'])('POST %s creates from JSON', async (path) => {
    const name = `json via ${path}`
    const answer = await postJson(fx.baseUrl, { name, price: 1 }, path)
    expect(answer.status).toBe(201)
    expect(answer.json).toEqual({ name, price: 1, description: null, tax: null })
  })

  it.each(['/items/new/form/', '/items/new/form'])('POST %s creates from the form', async (path) => {
    const name = `form via ${path}`
    const answer = await postForm(fx.baseUrl, { name, price: '1' }, path)
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe(`/catalogue/${encodeURIComponent(name)}/`)
    expect(await fx.stored(name)).not.toBeNull()
  })

  it.each(['/items/slashes/', '/items/slashes'])('GET %s reads one item', async (path) => {
    await postJson(fx.baseUrl, { name: 'slashes', price: 2 })
    const answer = await get(fx.baseUrl, path)
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({ name: 'slashes', price: 2, description: null, tax: null })
  })

  it.each(['/items/', '/items'])('GET %s lists', async (path) => {
    const answer = await get(fx.baseUrl, path)
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ items: expect.any(Array) as unknown[], next: null })
  })

  it.each([
    ['/healthz', 'application/json'],
    ['/healthz/', 'application/json'],
    ['/readyz', 'application/json'],
    ['/readyz/', 'application/json'],
    ['/docs', 'text/html'],
    ['/docs/', 'text/html'],
    ['/openapi.json', 'application/json'],
    ['/', 'text/html'],
  ])('GET %s answers 200 %s', async (path, type) => {
    const answer = await get(fx.baseUrl, path)
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toMatch(new RegExp(`^${type}`))
  })
})

describe('item URLs', () => {
  it.each([
    ['spaces', 'Rusty old bucket', '/items/Rusty%20old%20bucket/'],
    ['a slash', 'AC/DC poster', '/items/AC%2FDC%20poster/'],
    ['unicode', 'Café ☕ 😀', '/items/Caf%C3%A9%20%E2%98%95%20%F0%9F%98%80/'],
    ['URL syntax', '100% cotton? #1 & more+', '/items/100%25%20cotton%3F%20%231%20%26%20more%2B/'],
    ['an encoded-looking name', 'a%2Fb', '/items/a%252Fb/'],
    ['the name "new"', 'new', '/items/new/'],
    ['the name "form"', 'form', '/items/form/'],
  ])('with %s: Location is URL-encoded and GET through it finds the item', async (_label, name, location) => {
    const created = await postJson(fx.baseUrl, { name, price: 3.5 })
    expect(created.status).toBe(201)
    expect(created.headers['location']).toBe(location)
    const read = await get(fx.baseUrl, location)
    expect(read.status).toBe(200)
    expect(read.json).toEqual({ name, price: 3.5, description: null, tax: null })
  })

  it('GET after POST answers `name` and never `_id`, with the same body as the create', async () => {
    const created = await postJson(fx.baseUrl, { name: 'Item3', price: 12.34, description: 'Rusty old bucket', tax: 1 })
    const read = await get(fx.baseUrl, '/items/Item3/')
    expect(read.json).toEqual(created.json)
    expect(Object.keys(read.json as object).sort()).toEqual(['description', 'name', 'price', 'tax'])
    expect(read.text).not.toContain('_id')
    const listed = await get(fx.baseUrl, '/items/?limit=100')
    expect(listed.text).not.toContain('_id')
  })
})

describe('not found', () => {
  it.each(['/items/no%20such%20item/', '/items/nothing', '/items/%F0%9F%98%80/'])(
    'GET %s is 404 {"detail": "Item not found"}',
    async (path) => {
      const answer = await get(fx.baseUrl, path)
      expect(answer.status).toBe(404)
      expect(answer.headers['content-type']).toMatch(/^application\/json/)
      expect(answer.json).toEqual({ detail: 'Item not found' })
    },
  )

  it.each([
    ['GET', '/nope'],
    ['GET', '/items/a/b/'],
    ['POST', '/items/new/extra/'],
    ['DELETE', '/nope/'],
  ])('%s %s (no such path) is 404 with a detail', async (method, path) => {
    const answer = await send(fx.baseUrl, { method, path })
    expect(answer.status).toBe(404)
    expect(answer.headers.allow).toBeUndefined()
    expect(detailOf(answer)).toBe('Not Found')
  })

  it.each([
    ['POST', '/items/', 'GET, HEAD'],
    ['PUT', '/items/Item1/', 'GET, HEAD'],
    ['DELETE', '/items/Item1/', 'GET, HEAD'],
    ['PATCH', '/items/Item1', 'GET, HEAD'],
    ['PUT', '/', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s (a path that does not answer this method) is 405 with Allow: %s and a detail', async (method, path, allow) => {
    const answer = await send(fx.baseUrl, { method, path })
    expect(answer.status).toBe(405)
    expect(answer.headers.allow).toBe(allow)
    expect(answer.json).toEqual({ detail: `${method} is not allowed on this path; it answers ${allow}` })
  })

  it('has no update or delete: the item is still there after PUT and DELETE', async () => {
    await postJson(fx.baseUrl, { name: 'kept', price: 1 })
    await send(fx.baseUrl, { method: 'DELETE', path: '/items/kept/' })
    await send(fx.baseUrl, { method: 'PUT', path: '/items/kept/', headers: JSON_TYPE, body: '{"name":"kept","price":2}' })
    expect((await get(fx.baseUrl, '/items/kept/')).json).toMatchObject({ price: 1 })
  })
})

describe('pages and documents', () => {
  it('GET / is the entry form posting to the form route with the four fields', async () => {
    const answer = await get(fx.baseUrl, '/')
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    expect(answer.text).toMatch(/<form[^>]*method="post"[^>]*action="\/items\/new\/form\/"/)
    for (const field of ['name', 'price', 'description', 'tax']) expect(answer.text).toContain(`name="${field}"`)
  })

  it('GET / is cached like a static file: revalidated by ETag or Last-Modified, answered 304 when unchanged', async () => {
    const answer = await get(fx.baseUrl, '/')
    expect(answer.headers['cache-control']).toBe('public, max-age=0')
    const etag = String(answer.headers.etag)
    const modified = String(answer.headers['last-modified'])
    expect(etag).toMatch(/^"[^"]+"$/)
    const conditions: Record<string, string>[] = [{ 'if-none-match': etag }, { 'if-none-match': `W/${etag}` }, { 'if-modified-since': modified }]
    for (const headers of conditions) {
      const again = await send(fx.baseUrl, { method: 'GET', path: '/', headers })
      expect(again.status).toBe(304)
      expect(again.text).toBe('')
      expect(again.headers.etag).toBe(etag)
    }
    expect((await send(fx.baseUrl, { method: 'GET', path: '/', headers: { 'if-none-match': '"other"' } })).status).toBe(200)
    const head = await send(fx.baseUrl, { method: 'HEAD', path: '/' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(answer.headers['content-length'])
  })

  it('GET /openapi.json is an OpenAPI 3 document with the item paths and the 422 shape', async () => {
    const doc = (await get(fx.baseUrl, '/openapi.json')).json as {
      openapi: string
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
    }
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/items/new/', '/items/{name}/', '/items/', '/items/new/form/', '/healthz', '/readyz']),
    )
    const created = doc.paths['/items/new/']?.post?.responses
    expect(Object.keys(created ?? {})).toEqual(expect.arrayContaining(['201', '409', '422']))
    expect(created?.['422']).toMatchObject({
      content: {
        'application/json': {
          schema: {
            properties: {
              detail: {
                type: 'array',
                items: { required: ['loc', 'msg', 'type'] },
              },
            },
          },
        },
      },
    })
    expect(doc.paths['/items/']?.get?.responses).toHaveProperty('422')
    expect(doc.paths['/items/{name}/']?.get?.responses).toHaveProperty('404')
    // The form route redirects to the stored item's page and answers problems with HTML pages, and says so.
    const form = doc.paths['/items/new/form/']?.post?.responses ?? {}
    expect(Object.keys(form)).toEqual(expect.arrayContaining(['303', '409', '422']))
    expect(form['422']).toMatchObject({ content: { 'text/html': {} } })
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/catalogue/', '/catalogue/{name}/']))
  })

  it('/docs describes every answer of every route, and the document has one name', async () => {
    const doc = (await get(fx.baseUrl, '/openapi.json')).json as {
      paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>
    }
    const undescribed = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.entries(operation.responses)
          .filter(([, response]) => response.description === undefined || response.description === 'Default Response')
          .map(([status]) => `${method} ${path} ${status}`),
      ),
    )
    expect(undescribed).toEqual([])
    expect(doc.paths['/items/new/']?.post?.responses['409']?.description).toBe(
      'Another item is stored under that name, or under a name that reads the same (look-alike characters, other spaces); it is kept as it was, and Location is its path',
    )
    for (const path of ['/docs/json', '/docs/yaml']) {
      const answer = await get(fx.baseUrl, path)
      expect(answer.status, path).toBe(308)
      expect(answer.headers.location, path).toBe('/openapi.json')
    }
  })
})
