// A client that lost an answer sends the same item again: an identical stored item answers as a success
// that created nothing (JSON 200, the form's item page with 200); a different item under the name stays 409.
import { describe, expect, it } from 'vitest'
import { postForm, postJson as postItem, send } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('safe_retries')

describe('safe retries', () => {
  it('JSON: the same item again is 200 with the stored item and its Location; nothing new is written', async () => {
    const item = { name: 'Retry', price: 12.34, description: 'same', tax: 1 }
    const first = await postItem(fx.baseUrl, item)
    expect(first.status).toBe(201)
    const storedFirst = await fx.stored('Retry')
    const again = await postItem(fx.baseUrl, { ...item, price: '12.340' })
    expect(again.status).toBe(200)
    expect(again.json).toEqual(item)
    expect(again.headers.location).toBe('/items/Retry/')
    // The stored document is the first one, untouched (same write token and time).
    expect(await fx.stored('Retry')).toEqual(storedFirst)
  })

  it.each([
    ['another price', { price: 12.35 }],
    ['another description', { description: 'different' }],
    ['no description instead of one', { description: null }],
    ['another tax', { tax: 2 }],
    ['no tax instead of one', { tax: null }],
  ])('JSON: %s under the same name is 409', async (_label, change) => {
    const item = { name: `Conflict ${_label}`, price: 12.34, description: 'same', tax: 1 }
    expect((await postItem(fx.baseUrl, item)).status).toBe(201)
    const answer = await postItem(fx.baseUrl, { ...item, ...change })
    expect(answer.status).toBe(409)
    expect(answer.json).toEqual({ detail: `An item named "${item.name}" is already present` })
  })

  it('form: the same item again leads to the item page, saying nothing new was stored', async () => {
    const fields = { name: 'Form retry', price: '3.5', description: 'line one\r\nline two', tax: '' }
    const first = await postForm(fx.baseUrl, fields)
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/catalogue/Form%20retry/')
    const again = await postForm(fx.baseUrl, fields)
    expect(again.status).toBe(303)
    expect(again.headers.location).toBe('/catalogue/Form%20retry/')
    // The browser follows the redirect with the cookie it set, which says what happened.
    const cookie = (again.headers['set-cookie'] ?? '').split(';', 1)[0] ?? ''
    const page = await send(fx.baseUrl, { path: again.headers.location ?? '', headers: { cookie } })
    expect(page.status).toBe(200)
    expect(page.contentType).toMatch(/^text\/html/)
    expect(page.text).toContain('nothing new was stored')
    expect(page.text).toContain('3.50')
    // A different price is still a conflict.
    expect((await postForm(fx.baseUrl, { ...fields, price: '3.6' })).status).toBe(409)
  })

  it('the JSON and form channels agree: a form item sent again as JSON with the same values is 200', async () => {
    expect((await postForm(fx.baseUrl, { name: 'Both', price: '2', description: '', tax: '' })).status).toBe(303)
    const again = await postItem(fx.baseUrl, { name: 'Both', price: 2, description: '', tax: 0 })
    expect(again.status).toBe(200)
    expect(again.json).toEqual({ name: 'Both', price: 2, description: '', tax: 0 })
  })
})
