// What a person meets in the address bar, over real HTTP: the form's address asked for with GET, a mistyped
// address (an HTML 404 for browsers, JSON for programs), the search box's trimming and its too-long text, the
// catalogue's Previous page and position, and the "Item stored." notice shown once, not on a reload.
import { beforeAll, describe, expect, it } from 'vitest'
import { LIST_LIMIT_DEFAULT, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get, postForm, postJson, send, type Answer } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'

const fx = useApp('browser_addresses')
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

function links(html: string, text: string): string[] {
  return [...html.matchAll(new RegExp(`<a [^>]*href="([^"]*)"[^>]*>${text}</a>`, 'g'))].map((match) => (match[1] ?? '').replaceAll('&amp;', '&'))
}

function rowNames(html: string): string[] {
  return [...html.matchAll(/<th scope="row" data-label="Name"><a href="[^"]*">([^<]*)<\/a><\/th>/g)].map((match) => match[1] ?? '')
}

// 2 pages and 5 items of the search "Pail", among others before and after it in name order.
const PAILS = Array.from({ length: LIST_LIMIT_DEFAULT + 5 }, (_, i) => `Pail ${String(i).padStart(2, '0')}`)
beforeAll(async () => {
  for (const name of ['Apple', 'Oak', ...PAILS, 'Zinc']) {
    const created = await postJson(fx.baseUrl, { name, price: 1 })
    if (created.status !== 201) throw new Error(created.text)
  }
})

describe('the form’s address asked for with GET', () => {
  it('sends the browser to the form (303 to /), so Enter in the address bar after a 409 or 422 shows it', async () => {
    for (const path of ['/items/new/form/', '/items/new/form']) {
      const answer = await send(fx.baseUrl, { path, headers: { accept: BROWSER_ACCEPT } })
      expect(answer.status).toBe(303)
      expect(answer.headers.location).toBe('/')
    }
  })
})

describe('a mistyped address', () => {
  it.each(['/catalog', '/catalogue/a/b/', '/item/'])('%s in a browser is an HTML 404 page with links to the form and the catalogue', async (path) => {
    const answer = await send(fx.baseUrl, { path, headers: { accept: BROWSER_ACCEPT } })
    expect(answer.status).toBe(404)
    expect(answer.contentType).toMatch(/^text\/html/)
    expect(answer.text).toContain('<h1>Page not found</h1>')
    expect(links(answer.text, 'Add an item')).toEqual(['/'])
    expect(links(answer.text, 'Browse the catalogue')).toEqual(['/catalogue/'])
  })

  it.each<[string, Record<string, string>]>([
    ['no Accept', {}],
    ['Accept: application/json', { accept: 'application/json' }],
    ['Accept: */*', { accept: '*/*' }],
    ['JSON ranked above HTML', { accept: 'text/html;q=0.5, application/json' }],
  ])('from a program (%s) is still the JSON 404', async (_label, headers) => {
    const answer = await send(fx.baseUrl, { path: '/catalog', headers })
    expect(answer.status).toBe(404)
    expect(answer.json).toEqual({ detail: 'Not Found' })
  })
})

describe('the search box', () => {
  it('trims spaces around the text, as stored names are trimmed', async () => {
    const page = await get(fx.baseUrl, `/catalogue/?q=${encodeURIComponent('  Pail 0  ')}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('<h1>Items matching “Pail 0”</h1>')
    expect(page.text).toContain('value="Pail 0"')
    expect(rowNames(page.text)).toEqual(PAILS.slice(0, 10))
  })

  it(`says "Search text must be at most ${NAME_MAX_LENGTH} characters" beside the box on the catalogue page`, async () => {
    const page = await get(fx.baseUrl, `/catalogue/?q=${'P'.repeat(NAME_MAX_LENGTH + 1)}`)
    expect(page.status).toBe(422)
    expect(page.text).toMatch(/<label for="q">[^<]*<\/label>\n<p class="field-error" id="q-error"><span class="visually-hidden">Error: <\/span>Search text must be at most 200 characters<\/p>/)
    expect(page.text).toContain('<title>Error: Catalogue · Item store</title>')
    expect(page.text).not.toContain('Not shown')
  })
})

describe('paging', () => {
  it('has Previous page as well as Next and First, and says which items a page shows', async () => {
    const first = await get(fx.baseUrl, '/catalogue/?q=Pail')
    expect(rowNames(first.text)).toEqual(PAILS.slice(0, LIST_LIMIT_DEFAULT))
    expect(first.text).toContain(`<p class="position" id="position">Items 1–${LIST_LIMIT_DEFAULT} of ${PAILS.length}</p>`)
    expect(links(first.text, 'Previous page')).toEqual([])
    expect(links(first.text, 'First page')).toEqual([])

    const [next] = links(first.text, 'Next page')
    const second = await get(fx.baseUrl, next ?? '')
    expect(rowNames(second.text)).toEqual(PAILS.slice(LIST_LIMIT_DEFAULT))
    expect(second.text).toContain(`Items ${LIST_LIMIT_DEFAULT + 1}–${LIST_LIMIT_DEFAULT + 5} of ${PAILS.length}</p>`)
    expect(links(second.text, 'Next page')).toEqual([])
    expect(links(second.text, 'First page')).toEqual(['/catalogue/?q=Pail'])
    const [previous] = links(second.text, 'Previous page')
    expect(previous).toBe(`/catalogue/?q=Pail&before=${encodeURIComponent(PAILS[LIST_LIMIT_DEFAULT] ?? '').replaceAll('%20', '+')}`)

    // Back: the same first page, with Next again and no Previous.
    const back = await get(fx.baseUrl, previous ?? '')
    expect(rowNames(back.text)).toEqual(PAILS.slice(0, LIST_LIMIT_DEFAULT))
    expect(back.text).toContain(`Items 1–${LIST_LIMIT_DEFAULT} of ${PAILS.length}</p>`)
    expect(links(back.text, 'Previous page')).toEqual([])
    expect(links(back.text, 'Next page')).toEqual([next])
  })

  it('counts the position across the whole catalogue, and goes back a page from anywhere', async () => {
    // Apple, Oak, then the pails: a page starting after "Pail 02" starts at item 6.
    const page = await get(fx.baseUrl, `/catalogue/?after=${encodeURIComponent('Pail 02')}`)
    expect(page.text).toContain(`Items 6–${5 + LIST_LIMIT_DEFAULT} of ${PAILS.length + 3}</p>`)
    const [previous] = links(page.text, 'Previous page')
    const back = await get(fx.baseUrl, previous ?? '')
    expect(rowNames(back.text)).toEqual(['Apple', 'Oak', 'Pail 00', 'Pail 01', 'Pail 02'])
    expect(back.text).toContain(`Items 1–5 of ${PAILS.length + 3}</p>`)
    expect(links(back.text, 'Previous page')).toEqual([])
    expect(links(back.text, 'First page')).toEqual(['/catalogue/'])
  })
})

describe('the notice after the form', () => {
  async function followRedirect(answer: Answer): Promise<{ page: Answer; cookie: string }> {
    expect(answer.status).toBe(303)
    const cookie = (answer.headers['set-cookie'] ?? '').split(';', 1)[0] ?? ''
    return { page: await send(fx.baseUrl, { path: answer.headers.location ?? '', headers: { cookie } }), cookie }
  }

  it('shows "Item stored." after the redirect, once: a reload or a bookmark shows the item alone', async () => {
    const answer = await postForm(fx.baseUrl, { name: 'Noticed', price: '2' })
    expect(answer.headers.location).toBe('/catalogue/Noticed/')
    expect(answer.headers['set-cookie']?.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=60', 'Path=/', 'SameSite=Lax'])
    const { page, cookie } = await followRedirect(answer)
    expect(page.text).toContain('Item stored.')
    // The page clears the cookie and is never cached.
    expect(page.headers['set-cookie']).toMatch(/^item-store-notice=; /)
    expect(page.headers['set-cookie']).toContain('; Max-Age=0;')
    expect(page.headers['cache-control']).toBe('private, no-store')
    // A browser has dropped the cookie now; the same address again shows no notice.
    const reload = await get(fx.baseUrl, '/catalogue/Noticed/')
    expect(reload.status).toBe(200)
    expect(reload.text).not.toContain('role="status"')
    // And a cookie meant for another item's page shows nothing here.
    const elsewhere = await send(fx.baseUrl, { path: '/catalogue/Oak/', headers: { cookie } })
    expect(elsewhere.text).not.toContain('role="status"')
  })

  it('says "already in the catalogue" after the redirect of an identical item sent again', async () => {
    const answer = await postForm(fx.baseUrl, { name: 'Noticed', price: '2' })
    const { page } = await followRedirect(answer)
    expect(page.text).toContain('This item was already in the catalogue, exactly as sent')
  })
})
