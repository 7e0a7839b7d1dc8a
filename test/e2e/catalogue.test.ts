/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so these files see the DOM types.
// The catalogue in a real browser (headless Chromium): a person adds an item with the form, then finds it by
// typing words of its name and opens it, without typing a URL; pages through the list; narrows it by price
// and sorts it by price.
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIST_LIMIT_DEFAULT } from '../../src/items/schemas.js'
import { postJson } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'
import { DESKTOP, launchChromium, noEvents, PAGE_APP, type PageEvents, PHONE, screenshot, watch } from './browser.js'

const fx = useApp('e2e_catalogue', PAGE_APP)
let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium()
  // Enough items for two pages, and some that share the start of their names.
  for (let i = 0; i < LIST_LIMIT_DEFAULT + 3; i++) {
    const created = await postJson(fx.baseUrl, { name: `Widget ${String(i).padStart(2, '0')}`, price: 2 + i / 100, description: `Widget number ${i}, a long description that a row shows only the start of, because it goes on and on.` })
    if (created.status !== 201) throw new Error(created.text)
  }
})
afterAll(async () => {
  await browser?.close()
})

async function open(path: string, options: BrowserContextOptions): Promise<{ page: Page; events: PageEvents }> {
  if (browser === undefined) throw new Error('Chromium did not start')
  const page = await (await browser.newContext(options)).newPage()
  const events = await watch(page)
  const response = await page.goto(`${fx.baseUrl}${path}`)
  expect(response?.status()).toBe(200)
  return { page, events }
}

describe('the catalogue in Chromium', () => {
  it('an item added with the form is found by the start of its name and opened, all by links and the search box', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await open('/', options)
      const name = `Teapot Čajník (${device})`
      await page.getByLabel(/^Name/).fill(name)
      await page.getByLabel(/^Price/).fill('24.5')
      await page.getByLabel(/^Description/).fill('Cast iron, 1 litre.')
      await page.getByRole('button', { name: 'Store item' }).click()
      await page.waitForURL(/\/catalogue\/[^?]+\/$/)
      expect(await page.getByRole('status').innerText()).toContain('Item stored')
      await screenshot(page, `item-created-${device}`)

      // From the header, to the catalogue, and a search by words of the name, accents left out.
      await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Catalogue' }).click()
      await page.waitForURL(`${fx.baseUrl}/catalogue/`)
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Catalogue')
      await page.getByRole('searchbox', { name: /Find items by words/ }).fill('teapot cajn')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL(/\/catalogue\/\?q=/)
      const rows = page.locator('table.catalogue tbody tr')
      expect(await rows.count()).toBeGreaterThanOrEqual(1)
      expect(await rows.locator('th a').allInnerTexts()).toContain(name)
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      await screenshot(page, `catalogue-search-${device}`)

      await page.getByRole('link', { name }).click()
      await page.waitForURL(`${fx.baseUrl}/catalogue/${encodeURIComponent(name)}/`)
      const shown = await page.locator('dl.item').evaluate((dl) =>
        Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
      )
      expect(shown).toEqual({ Name: name, Price: '24.50', Tax: '0.00', Description: 'Cast iron, 1 litre.' })
      await screenshot(page, `item-${device}`)
      // And its JSON, a link away.
      await page.getByRole('link', { name: 'View as JSON' }).click()
      await page.waitForURL(`${fx.baseUrl}/items/${encodeURIComponent(name)}/`)
      expect(JSON.parse(await page.locator('body').innerText())).toEqual({ name, price: 24.5, description: 'Cast iron, 1 litre.', tax: 0 })
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  it('pages through the list with Next page and First page, and says when a search finds nothing', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await open('/catalogue/?q=Widget', options)
      const names = (): Promise<string[]> => page.locator('table.catalogue tbody th a').allInnerTexts()
      expect(await names()).toHaveLength(LIST_LIMIT_DEFAULT)
      expect((await names())[0]).toBe('Widget 00')
      // The description's start, on one line.
      expect(await page.locator('table.catalogue tbody td[data-label="Description"]').first().innerText()).toMatch(/…$/)
      await screenshot(page, `catalogue-${device}`)
      await page.getByRole('link', { name: 'Next page' }).click()
      await page.waitForURL(/after=/)
      expect(await names()).toEqual(['Widget 20', 'Widget 21', 'Widget 22'])
      expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0)
      await page.getByRole('link', { name: 'First page' }).click()
      await page.waitForURL(`${fx.baseUrl}/catalogue/?q=Widget`)
      expect((await names())[0]).toBe('Widget 00')

      await page.getByRole('searchbox').fill('Nothing like this')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL(/q=Nothing/)
      expect(await page.locator('main').innerText()).toContain('No item matches.')
      await screenshot(page, `catalogue-no-match-${device}`)
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  it('narrows the list to a price range and sorts it by price with the form’s controls', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await open('/catalogue/', options)
      await page.getByRole('searchbox').fill('widget')
      await page.getByRole('group', { name: 'Price' }).getByLabel('From').fill('2.10')
      await page.getByRole('group', { name: 'Price' }).getByLabel('To').fill('2.14')
      await page.getByLabel('Order').selectOption('-price')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL(/sort=-price/)
      expect(await page.locator('table.catalogue tbody th a').allInnerTexts()).toEqual(['Widget 14', 'Widget 13', 'Widget 12', 'Widget 11', 'Widget 10'])
      expect(await page.locator('.position').innerText()).toBe('Items 1–5 of 5')
      expect(await page.getByLabel('Order').inputValue()).toBe('-price')
      expect(await page.getByLabel('From').inputValue()).toBe('2.10')
      await screenshot(page, `catalogue-price-range-${device}`)
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })
})
