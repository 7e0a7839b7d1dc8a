// The original demo's own three-call client, answered as SPEC.md says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, startApp, type RunningApp } from '../helpers/app.js'

let running: RunningApp
beforeAll(async () => {
  running = await startApp('client_exchange')
})
afterAll(async () => {
  await running.close()
})

describe('the original client exchange', () => {
  it('creates Item1, reads it back, and refuses a non-numeric price with loc body.price', async () => {
    const created = await postJson(running.baseUrl, '/items/new/', {
      name: 'Item1',
      price: 12.34,
      description: 'Rusty old bucket',
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toBe('/items/Item1/')
    expect(created.body).toEqual({ name: 'Item1', price: 12.34, description: 'Rusty old bucket', tax: null })

    const read = await fetch(`${running.baseUrl}/items/Item1/`)
    expect(read.status).toBe(200)
    expect(await read.json()).toEqual(created.body)

    const refused = await postJson(running.baseUrl, '/items/new/', { name: 'Item2', price: 'Not a number' })
    expect(refused.status).toBe(422)
    const detail = (refused.body as { detail: { loc: string[] }[] }).detail
    expect(detail[0]?.loc).toEqual(['body', 'price'])
  })
})
