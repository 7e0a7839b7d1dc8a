// The catalogue for people over real HTTP: /catalogue/ lists a page at a time in name order with links to the
// next and the first page, searches by the start of the name, and says so in words when nothing is there;
// /catalogue/<name>/ shows one item with a link to its JSON. The JSON API is untouched by them.
import { describe, expect, it } from 'vitest'
import { LIST_LIMIT_DEFAULT, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postJson, send } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('pages')

/** The names in the catalogue table's rows, in order. */
function rowNames(html: string): string[] {
  return [...html.matchAll(/<th scope="row" data-label="Name"><a href="[^"]*">([^<]*)<\/a><\/th>/g)].map((match) => match[1] ?? '')
}

function links(html: string, text: string): string[] {
  return [...html.matchAll(new RegExp(`<a [^>]*href="([^"]*)"[^>]*>${text}</a>`, 'g'))].map((match) => (match[1] ?? '').replaceAll('&amp;', '&'))
}

describe('the catalogue page', () => {
  it('says the catalogue is empty, in words, with a link to add the first item', async () => {
    const page = await get(fx.baseUrl, '/catalogue/')
    expect(page.status).toBe(200)
    expect(page.contentType).toMatch(/^text\/html/)
    expect(page.text).toContain('The catalogue is empty.')
    expect(links(page.text, 'Add the first item')).toEqual(['/'])
  })

  it(`lists ${LIST_LIMIT_DEFAULT} items a page in name order, with the next page and the first page a link away`, async () => {
    const names = Array.from({ length: LIST_LIMIT_DEFAULT + 5 }, (_, i) => `Bucket ${String(i).padStart(2, '0')}`)
    for (const name of [...names].reverse()) {
      expect((await postJson(fx.baseUrl, { name, price: 1.5, description: `A bucket\nnumber ${name.slice(-2)}`, tax: null })).status).toBe(201)
    }
    const first = await get(fx.baseUrl, '/catalogue/')
    expect(rowNames(first.text)).toEqual(names.slice(0, LIST_LIMIT_DEFAULT))
    expect(links(first.text, 'First page')).toEqual([])
    const [next] = links(first.text, 'Next page')
    expect(next).toBe(`/catalogue/?after=${encodeURIComponent(names[LIST_LIMIT_DEFAULT - 1] ?? '').replaceAll('%20', '+')}`)
    // Each row: name linked to its page, price and tax with two decimals, the description's start on one line.
    expect(first.text).toContain('<a href="/catalogue/Bucket%2000/">Bucket 00</a>')
    expect(first.text).toContain('<td class="money" data-label="Price">1.50</td>')
    expect(first.text).toContain('<td class="money" data-label="Tax"><span class="empty">none</span></td>')
    expect(first.text).toContain('<td data-label="Description">A bucket number 00</td>')

    const second = await get(fx.baseUrl, next ?? '')
    expect(rowNames(second.text)).toEqual(names.slice(LIST_LIMIT_DEFAULT))
    expect(links(second.text, 'Next page')).toEqual([])
    expect(links(second.text, 'First page')).toEqual(['/catalogue/'])
  })

  it('finds items by the start of the name, regex characters and all, and keeps the search across pages', async () => {
    for (const name of ['Cup (blue)', 'Cup (red)', 'Cup.*', 'Cupboard', 'cup lowercase']) {
      expect((await postJson(fx.baseUrl, { name, price: 2 })).status).toBe(201)
    }
    const found = await get(fx.baseUrl, `/catalogue/?q=${encodeURIComponent('Cup (')}`)
    expect(found.status).toBe(200)
    expect(rowNames(found.text)).toEqual(['Cup (blue)', 'Cup (red)'])
    expect(found.text).toContain('<title>Names starting with “Cup (” · Item store</title>')
    // The search box keeps the text, to refine it.
    expect(found.text).toContain('value="Cup ("')
    expect(rowNames((await get(fx.baseUrl, '/catalogue/?q=Cup.')).text)).toEqual(['Cup.*'])
    expect(rowNames((await get(fx.baseUrl, '/catalogue/?q=Cup')).text)).toEqual(['Cup (blue)', 'Cup (red)', 'Cup.*', 'Cupboard'])
  })

  it('says in words when no name starts with the text, with a way back to everything', async () => {
    const page = await get(fx.baseUrl, '/catalogue/?q=Zz%20nothing')
    expect(page.status).toBe(200)
    expect(page.text).toContain('No item’s name starts with “Zz nothing”.')
    expect(links(page.text, 'Show all items')).toEqual(['/catalogue/'])
  })

  it('escapes what was searched for and what is shown', async () => {
    const name = '<b>Bold</b> & "quoted"'
    expect((await postJson(fx.baseUrl, { name, price: 1, description: '<script>alert(1)</script>' })).status).toBe(201)
    const page = await get(fx.baseUrl, `/catalogue/?q=${encodeURIComponent('<b>')}`)
    expect(page.text).not.toContain('<b>Bold')
    expect(page.text).not.toContain('<script>alert')
    expect(page.text).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;')
  })

  it('answers a search text that breaks the name rules with the catalogue page, saying why beside the box', async () => {
    const long = await get(fx.baseUrl, `/catalogue/?q=${'a'.repeat(NAME_MAX_LENGTH + 1)}`)
    expect(long.status).toBe(422)
    expect(long.contentType).toMatch(/^text\/html/)
    expect(long.text).toContain(`<p class="field-error" id="q-error"><span class="visually-hidden">Error: </span>Search text must be at most ${NAME_MAX_LENGTH} characters</p>`)
    expect(long.text).toContain('aria-describedby="q-error q-hint" aria-invalid="true"')
    expect(long.text).toContain('<h1>Catalogue</h1>')
    expect(long.text).not.toContain('Not shown')
    // Surrounding spaces do not count: they are trimmed first.
    const padded = await get(fx.baseUrl, `/catalogue/?q=${encodeURIComponent(`  ${'a'.repeat(NAME_MAX_LENGTH)}  `)}`)
    expect(padded.status).toBe(200)
  })
})

describe('the item page', () => {
  it('shows every field and links to its JSON and back to the catalogue', async () => {
    const item = { name: 'Lamp / desk', price: 12.3, description: 'Brass\ndesk lamp', tax: 1.5 }
    expect((await postJson(fx.baseUrl, item)).status).toBe(201)
    const page = await get(fx.baseUrl, '/catalogue/Lamp%20%2F%20desk/')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<h1 class="name">Lamp / desk</h1>')
    for (const shown of ['12.30', '1.50', 'Brass\ndesk lamp']) expect(page.text).toContain(shown)
    expect(links(page.text, 'View as JSON')).toEqual(['/items/Lamp%20%2F%20desk/'])
    expect(links(page.text, 'Back to the catalogue')).toEqual(['/catalogue/'])
    // No notice unless the form's redirect sent the person here: the address alone never shows one.
    expect(page.text).not.toContain('role="status"')
    expect((await get(fx.baseUrl, '/catalogue/Lamp%20%2F%20desk/?result=created')).text).not.toContain('Item stored.')
    expect((await get(fx.baseUrl, '/catalogue/Lamp%20%2F%20desk/?result=other')).status).toBe(200)
  })

  it('is 404 for people, with a search for the name, when no item has it', async () => {
    const page = await get(fx.baseUrl, '/catalogue/No%20such%20thing/')
    expect(page.status).toBe(404)
    expect(page.contentType).toMatch(/^text\/html/)
    expect(page.text).toContain('No item is named “No such thing”.')
    expect(links(page.text, 'Search the catalogue')).toEqual(['/catalogue/?q=No+such+thing'])
  })
})

describe('the JSON API beside the pages', () => {
  it.each([undefined, '*/*', 'application/json', 'text/html'])('answers JSON on its own paths whatever the Accept (%s)', async (accept) => {
    const headers: Record<string, string> = accept === undefined ? {} : { accept }
    const list = await send(fx.baseUrl, { path: '/items/?limit=1', headers })
    expect(list.status).toBe(200)
    expect(list.contentType).toMatch(/^application\/json/)
    expect(list.json).toMatchObject({ items: [expect.objectContaining({ name: expect.any(String) as unknown })] })
    const one = await send(fx.baseUrl, { path: '/items/Lamp%20%2F%20desk/', headers })
    expect(one.json).toEqual({ name: 'Lamp / desk', price: 12.3, description: 'Brass\ndesk lamp', tax: 1.5 })
  })
})
