// The HTML form channel: the original demo's defaults for blank fields, a redirect to the stored item's page
// (Post/Redirect/Get), HTML answers for every problem with a link back to the form, user text escaped
// wherever it is shown, and the same form as multipart/form-data.
import { describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js'
import { DESCRIPTION_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postForm, send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('form')

const BACK_TO_FORM = /<a\b[^>]*\bhref="\/"/

/** The page the form's 303 leads to, as a browser following it would load it (with the cookie it was given). */
async function followed(answer: Answer): Promise<Answer> {
  expect(answer.status, answer.text).toBe(303)
  expect(answer.headers.location).toMatch(/^\/catalogue\/[^?]+\/$/)
  const cookie = (answer.headers['set-cookie'] ?? '').split(';', 1)[0] ?? ''
  return send(fx.baseUrl, { path: answer.headers.location ?? '', headers: { cookie } })
}

describe('stored: 303 to the item page', () => {
  it('leads to an HTML page showing the stored item, with a link back to the form', async () => {
    const answer = await postForm(fx.baseUrl, { name: 'Lamp', price: '12.3', description: 'Brass desk lamp', tax: '1.5' })
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/catalogue/Lamp/')
    const page = await followed(answer)
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.text).toContain('Item stored')
    for (const shown of ['Lamp', '12.30', 'Brass desk lamp', '1.50']) expect(page.text).toContain(shown)
    expect(page.text).toMatch(BACK_TO_FORM)
    // Loaded again (a reload), it shows the item, and nothing is sent again.
    expect((await get(fx.baseUrl, answer.headers.location ?? '')).status).toBe(200)
    expect((await get(fx.baseUrl, '/items/Lamp/')).json).toEqual({
      name: 'Lamp',
      price: 12.3,
      description: 'Brass desk lamp',
      tax: 1.5,
    })
  })

  it('stores exactly what the JSON channel would: a price of 12.340 is 1234 hundredths', async () => {
    expect((await postForm(fx.baseUrl, { name: 'Exact', price: '12.340' })).status).toBe(303)
    expect((await fx.stored('Exact'))?.priceCents.toString()).toBe('1234')
  })

  it.each([
    ['blank description and tax', { description: '', tax: '' }],
    ['whitespace-only tax', { description: '', tax: '   ' }],
    ['whitespace-only description and tax', { description: ' \r\n ', tax: ' ' }],
    ['missing description and tax', {}],
  ])('%s are stored as "" and 0, never refused', async (label, optional: Record<string, string>) => {
    const name = `defaults ${label}`
    const answer = await postForm(fx.baseUrl, { name, price: '5', ...optional })
    expect(answer.status).toBe(303)
    const stored = await fx.stored(name)
    expect(stored?.description).toBe('')
    expect(stored?.taxCents?.toString()).toBe('0')
    expect((await get(fx.baseUrl, `/items/${encodeURIComponent(name)}/`)).json).toEqual({
      name,
      price: 5,
      description: '',
      tax: 0,
    })
  })

  it('ignores unknown fields and never stores them', async () => {
    const answer = await postForm(fx.baseUrl, { name: 'Extra', price: '1', color: 'red', _id: 'other', priceCents: '5' })
    expect(answer.status).toBe(303)
    const stored = await fx.stored('Extra')
    // The item's fields and what the service derives from them (src/items/item-keys.ts), nothing sent.
    expect(Object.keys(stored ?? {}).sort()).toEqual(['_id', 'createdAt', 'description', 'keysVersion', 'nameKey', 'priceCents', 'sortName', 'taxCents', 'words', 'writeToken'])
    expect(stored?.priceCents.toString()).toBe('100')
    expect(await fx.stored('other')).toBeNull()
  })

  it('trims the name as the JSON channel does', async () => {
    expect((await postForm(fx.baseUrl, { name: '  Spaced  ', price: '1' })).status).toBe(303)
    expect(await fx.stored('Spaced')).not.toBeNull()
  })
})

describe('409 already present', () => {
  it('answers HTML naming the item, links back to the form, and keeps the stored item', async () => {
    await postForm(fx.baseUrl, { name: 'Kettle', price: '20', description: 'first' })
    const before = await fx.stored('Kettle')
    const answer = await postForm(fx.baseUrl, { name: 'Kettle', price: '30', description: 'second' })
    expect(answer.status).toBe(409)
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    expect(answer.text).toMatch(/already present/i)
    expect(answer.text).toContain('Kettle')
    expect(answer.text).toMatch(BACK_TO_FORM)
    expect(await fx.stored('Kettle')).toEqual(before)
  })
})

describe('422 invalid', () => {
  it('answers HTML listing each bad field with its message, stores nothing, links back', async () => {
    const before = await fx.count()
    const answer = await postForm(fx.baseUrl, { name: '', price: 'cheap', description: 'd'.repeat(DESCRIPTION_MAX_LENGTH + 1), tax: '0.125' })
    expect(answer.status).toBe(422)
    expect(answer.headers['content-type']).toMatch(/^text\/html/)
    for (const message of [
      'name must not be empty',
      'price must be a decimal number',
      `description must be at most ${DESCRIPTION_MAX_LENGTH} characters`,
      'tax must have at most 2 digits after the decimal point',
    ]) {
      expect(answer.text.toLowerCase()).toContain(message)
    }
    expect(answer.text).toContain('4 fields need')
    expect(answer.text).toMatch(BACK_TO_FORM)
    expect(await fx.count()).toBe(before)
  })

  it('refuses a missing or blank price', async () => {
    const attempts: Record<string, string>[] = [{ name: 'no price' }, { name: 'blank price', price: '' }, { name: 'spaced price', price: ' ' }]
    for (const fields of attempts) {
      const answer = await postForm(fx.baseUrl, fields)
      expect(answer.status).toBe(422)
      expect(answer.text).toMatch(/price/)
      expect(await fx.stored(fields.name ?? '')).toBeNull()
    }
  })

  it('shows the form again with what was typed', async () => {
    const answer = await postForm(fx.baseUrl, { name: 'Keep me', price: '1.234', description: 'typed text' })
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('value="Keep me"')
    expect(answer.text).toContain('value="1.234"')
    expect(answer.text).toContain('typed text')
  })
})

describe('multipart/form-data, as curl -F sends it', () => {
  const BOUNDARY = '----item-store-test'
  const TYPE = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
  const field = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const file = (name: string, content: string): string =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n`
  const end = `--${BOUNDARY}--\r\n`
  const post = (body: string, headers: Record<string, string> = TYPE): Promise<Answer> =>
    send(fx.baseUrl, { method: 'POST', path: '/items/new/form/', headers, body })

  it('stores the text fields exactly as the URL-encoded form would', async () => {
    const answer = await post(field('name', 'Multi part') + field('price', '12.340') + field('tax', '') + field('description', 'two\r\nlines') + end)
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toBe('/catalogue/Multi%20part/')
    expect((await get(fx.baseUrl, '/items/Multi%20part/')).json).toEqual({ name: 'Multi part', price: 12.34, description: 'two\nlines', tax: 0 })
  })

  it('answers a bad field with the form page and the rule, as the URL-encoded form does', async () => {
    const answer = await post(field('name', 'Multi bad') + field('price', '1.234') + end)
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('Price must have at most 2 digits after the decimal point')
    expect(await fx.stored('Multi bad')).toBeNull()
  })

  it('refuses a file part with 422 naming the field, and stores nothing', async () => {
    const answer = await post(field('name', 'Multi file') + field('price', '1') + file('description', 'from a file') + end)
    expect(answer.status).toBe(422)
    expect(answer.text).toContain('Description must be text; this form takes no files')
    expect(await fx.stored('Multi file')).toBeNull()
  })

  it('refuses a body over the limit with 413, and one of undeclared length with 411; stores nothing', async () => {
    const big = field('name', 'Multi big') + field('price', '1') + field('notes', 'x'.repeat(BODY_LIMIT_BYTES)) + end
    const declared = await post(big)
    expect(declared.status).toBe(413)
    expect(declared.text).toContain('larger than 64 KiB')
    const small = field('name', 'Multi chunked') + field('price', '1') + end
    const streamed = await post(small, { ...TYPE, 'transfer-encoding': 'chunked' })
    expect(streamed.status).toBe(411)
    expect(streamed.text).toContain('must declare its Content-Length')
    expect(await fx.stored('Multi big')).toBeNull()
    expect(await fx.stored('Multi chunked')).toBeNull()
  })

  it.each([
    ['no boundary parameter', 'multipart/form-data', field('name', 'x') + end],
    ['a boundary the body does not use', 'multipart/form-data; boundary=other', field('name', 'x') + end],
    ['a body cut short', `multipart/form-data; boundary=${BOUNDARY}`, field('name', 'Multi cut') + field('price', '1')],
  ])('a malformed body (%s) is 400 with a detail, never a 500', async (_label, contentType, body) => {
    const answer = await post(body, { 'content-type': contentType })
    expect(answer.status).toBe(400)
    expect(answer.text).toContain('The multipart body is malformed')
    expect(await fx.stored('Multi cut')).toBeNull()
  })
})
