// The catalogue for people over real HTTP: /catalogue/ lists a page at a time in people's name order (or by
// price) with the total and links to the next and the first page, finds by words, a price range and the
// start of the name, says what is wrong with a search beside its control, and says so in words when nothing is there;
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

  it('finds items by the start of the name (prefix=), regex characters and all, and keeps it in the form', async () => {
    for (const name of ['Cup (blue)', 'Cup (red)', 'Cup.*', 'Cupboard', 'cup lowercase']) {
      expect((await postJson(fx.baseUrl, { name, price: 2 })).status).toBe(201)
    }
    const found = await get(fx.baseUrl, `/catalogue/?prefix=${encodeURIComponent('Cup (')}`)
    expect(found.status).toBe(200)
    expect(rowNames(found.text)).toEqual(['Cup (blue)', 'Cup (red)'])
    expect(found.text).toContain('<title>Items whose name starts with “Cup (” · Item store</title>')
    // The form keeps the start of the name, so a search by words refines it.
    expect(found.text).toContain('<input type="hidden" name="prefix" value="Cup (">')
    expect(rowNames((await get(fx.baseUrl, '/catalogue/?prefix=Cup.')).text)).toEqual(['Cup.*'])
    expect(rowNames((await get(fx.baseUrl, '/catalogue/?prefix=Cup')).text)).toEqual(['Cup (blue)', 'Cup (red)', 'Cup.*', 'Cupboard'])
  })

  it('finds items by words, case ignored, the last word also as the start of one; the box keeps them', async () => {
    const found = await get(fx.baseUrl, '/catalogue/?q=CUP')
    expect(rowNames(found.text)).toEqual(['Cup (blue)', 'Cup (red)', 'cup lowercase', 'Cup.*', 'Cupboard'])
    expect(found.text).toContain('<h1>Items matching “CUP”</h1>')
    expect(found.text).toContain('value="CUP"')
    expect(rowNames((await get(fx.baseUrl, '/catalogue/?q=cup%20red')).text)).toEqual(['Cup (red)'])
  })

  it('says in words when nothing matches, with a way back to everything', async () => {
    const page = await get(fx.baseUrl, '/catalogue/?q=Zz%20nothing')
    expect(page.status).toBe(200)
    expect(page.text).toContain('No item matches.')
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

describe('people’s order, the price range and the total', () => {
  const ORDERLY = [
    { name: 'Zürich', price: 7 },
    { name: 'bucket', price: 3 },
    { name: 'Bucket', price: 12.5 },
    { name: 'naïve café crème', price: 5 },
    { name: 'Čajník', price: 24.5 },
    { name: 'Apple', price: 2 },
    { name: 'Ωμέγα', price: 3 },
    { name: 'Чайник', price: 30 },
    { name: 'Cedar', price: 5 },
  ]

  it('lists names case and accents ignored first, "bucket" beside "Bucket", "Čajník" among the C’s, with the total', async () => {
    for (const item of ORDERLY) expect((await postJson(fx.baseUrl, { ...item, description: 'orderly' })).status).toBe(201)
    const page = await get(fx.baseUrl, '/catalogue/?q=orderly')
    expect(rowNames(page.text)).toEqual(['Apple', 'Bucket', 'bucket', 'Čajník', 'Cedar', 'naïve café crème', 'Zürich', 'Ωμέγα', 'Чайник'])
    expect(page.text).toContain(`<p class="position" id="position">Items 1–${ORDERLY.length} of ${ORDERLY.length}</p>`)
  })

  it('filters by a price range and sorts by price, and the form shows what was asked for', async () => {
    const page = await get(fx.baseUrl, '/catalogue/?q=orderly&min_price=3&max_price=12.50&sort=-price')
    expect(rowNames(page.text)).toEqual(['Bucket', 'Zürich', 'Cedar', 'naïve café crème', 'bucket', 'Ωμέγα'])
    expect(page.text).toContain('<h1>Items matching “orderly”, priced 3 to 12.50</h1>')
    expect(page.text).toContain('id="min_price" name="min_price" type="text" inputmode="decimal"')
    expect(page.text).toMatch(/id="min_price"[^>]* value="3"/)
    expect(page.text).toMatch(/id="max_price"[^>]* value="12.50"/)
    expect(page.text).toContain('<option value="-price" selected="">Price, highest first</option>')
    expect((await get(fx.baseUrl, '/catalogue/?q=orderly&sort=price')).text).toContain('Items 1–9 of 9')
  })

  it('pages in price order and keeps the search in the links', async () => {
    const page = await get(fx.baseUrl, '/catalogue/?q=orderly&sort=price')
    expect(rowNames(page.text)).toEqual(['Apple', 'bucket', 'Ωμέγα', 'Cedar', 'naïve café crème', 'Zürich', 'Bucket', 'Čajník', 'Чайник'])
    const all = await get(fx.baseUrl, '/catalogue/?sort=price')
    const [next] = links(all.text, 'Next page')
    expect(next).toMatch(/^\/catalogue\/\?sort=price&after=[A-Za-z0-9_-]+$/)
    const second = await get(fx.baseUrl, next ?? '')
    expect(second.status).toBe(200)
    expect(second.text).toMatch(/Items 21–\d+ of \d+/)
    expect(links(second.text, 'First page')).toEqual(['/catalogue/?sort=price'])
  })

  it.each<[string, string, string]>([
    ['a price that is not one', 'min_price=cheap', 'The lowest price must be a decimal number'],
    ['a range upside down', 'min_price=5&max_price=1', 'The highest price must not be below min_price'],
    ['a search without words', 'q=%21%21', 'Search text must contain a word: letters or digits'],
  ])('says what is wrong with %s beside its control (422)', async (_label, query, message) => {
    const page = await get(fx.baseUrl, `/catalogue/?${query}`)
    expect(page.status).toBe(422)
    expect(page.text).toContain(`<span class="visually-hidden">Error: </span>${message}`)
    expect(page.text).toMatch(/aria-invalid="true" autofocus=""/)
    expect(page.text).toContain('<title>Error: Catalogue · Item store</title>')
  })

  it('names an unknown parameter above the form (422)', async () => {
    const page = await get(fx.baseUrl, '/catalogue/?contains=cup&q=cup')
    expect(page.status).toBe(422)
    expect(page.text).toContain('<div class="notice error" role="alert"><p>Unknown parameter contains: the parameters here are q, prefix, min_price, max_price, sort, after, before</p></div>')
    expect(page.text).toContain('value="cup"')
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
    const stale = await get(fx.baseUrl, '/catalogue/Lamp%20%2F%20desk/?result=created')
    expect(stale.status).toBe(422)
    expect(stale.text).not.toContain('Item stored.')
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
