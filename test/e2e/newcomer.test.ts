/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so this file sees the DOM types.
// Where a person new to the site stumbled, in headless Chromium at desktop and phone size: a 200-character
// name in the catalogue, the address bar after a 409 and a mistyped address, the search box, paging, the
// notice on a reload, the keyboard's way past the header, /docs, and axe-core's WCAG 2.1 A/AA rules on
// every page. Screenshots go to test-output/screenshots/.
import AxeBuilder from '@axe-core/playwright'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson } from '../../harness/http.js'
import { LIST_LIMIT_DEFAULT, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { useApp } from '../setup/test-app.js'
import { DESKTOP, launchChromium, noEvents, PAGE_APP, type PageEvents, PHONE, screenshot, watch } from './browser.js'

const fx = useApp('e2e_newcomer', PAGE_APP)
let browser: Browser | undefined

const DEVICES = [
  ['desktop', { ...DESKTOP, viewport: { width: 1280, height: 900 } }],
  ['phone', PHONE],
] as const satisfies readonly (readonly [string, BrowserContextOptions])[]

const LONG_NAME = `Long${'x'.repeat(NAME_MAX_LENGTH - 4)}`
const LONG_DESCRIPTION = 'd'.repeat(300)
const BOLTS = Array.from({ length: LIST_LIMIT_DEFAULT + 4 }, (_, i) => `Bolt ${String(i).padStart(2, '0')}`)

beforeAll(async () => {
  browser = await launchChromium()
  for (const item of [{ name: LONG_NAME, price: 12.5, description: LONG_DESCRIPTION }, ...BOLTS.map((name) => ({ name, price: 1 })), { name: 'Taken', price: 3 }]) {
    const created = await postJson(fx.baseUrl, item)
    if (created.status !== 201) throw new Error(created.text)
  }
})
afterAll(async () => {
  await browser?.close()
})

async function open(options: BrowserContextOptions): Promise<{ page: Page; events: PageEvents }> {
  if (browser === undefined) throw new Error('Chromium did not start')
  const page = await (await browser.newContext(options)).newPage()
  return { page, events: await watch(page) }
}

async function goto(page: Page, path: string, status = 200): Promise<void> {
  const response = await page.goto(`${fx.baseUrl}${path}`)
  expect(response?.status(), path).toBe(status)
}

describe('a 200-character name with no spaces', () => {
  it.each(DEVICES)('wraps inside its cell on %s: the catalogue fits the window, every column on screen', async (device, options) => {
    const { page, events } = await open(options)
    await goto(page, `/catalogue/?q=Long`)
    const fit = await page.evaluate(() => {
      const width = document.documentElement.clientWidth
      const table = document.querySelector('table.catalogue')
      const cells = [...document.querySelectorAll('table.catalogue tbody th, table.catalogue tbody td')].map((cell) => cell.getBoundingClientRect())
      return {
        overflow: document.documentElement.scrollWidth - width,
        tableRight: (table?.getBoundingClientRect().right ?? Infinity) <= width,
        cellsInside: cells.length === 4 && cells.every((box) => box.left >= 0 && box.right <= width),
      }
    })
    expect(fit).toEqual({ overflow: 0, tableRight: true, cellsInside: true })
    // The name and the description's start are all there, wrapped, not cut.
    expect(await page.locator('table.catalogue tbody th a').innerText()).toBe(LONG_NAME)
    await screenshot(page, `catalogue-long-name-${device}`)
    expect(events).toEqual(noEvents())
    await page.context().close()
  })
})

describe('the address bar', () => {
  it.each(DEVICES)('on %s: Enter on the form’s address after a 409 shows the empty form; a mistyped address shows a page with the ways in', async (device, options) => {
    const { page, events } = await open(options)
    await goto(page, '/')
    await page.getByLabel(/^Name/).fill('Taken')
    await page.getByLabel(/^Price/).fill('4')
    await page.getByRole('button', { name: 'Store item' }).click()
    await page.waitForURL(`${fx.baseUrl}/items/new/form/`)
    expect(await page.locator('.error-summary').innerText()).toContain('The name “Taken” is taken: choose another name')
    await screenshot(page, `conflict-summary-${device}`)
    // Enter in the address bar: a GET of the same address.
    await goto(page, '/items/new/form/')
    expect(page.url()).toBe(`${fx.baseUrl}/`)
    expect(await page.getByLabel(/^Name/).inputValue()).toBe('')

    await goto(page, '/catalog', 404)
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Page not found')
    await screenshot(page, `page-not-found-${device}`)
    await page.getByRole('link', { name: 'Browse the catalogue' }).click()
    await page.waitForURL(`${fx.baseUrl}/catalogue/`)
    expect(events.dialogs.concat(events.pageErrors, events.cspViolations)).toEqual([])
    await page.context().close()
  })
})

describe('the search box', () => {
  it.each(DEVICES)('on %s: trims spaces, and says beside itself when the text is too long', async (device, options) => {
    const { page, events } = await open(options)
    await goto(page, '/catalogue/')
    await page.getByRole('searchbox').fill('  Bolt 1  ')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/q=/)
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Items matching “Bolt 1”')
    expect(await page.locator('table.catalogue tbody th a').allInnerTexts()).toEqual(BOLTS.slice(10, 20))

    // The box takes at most 200 characters; a longer text comes from an edited or pasted address.
    await goto(page, `/catalogue/?q=${'B'.repeat(NAME_MAX_LENGTH + 1)}`, 422)
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Catalogue')
    const box = page.getByRole('searchbox')
    expect(await box.getAttribute('aria-invalid')).toBe('true')
    // Read out with the box: its description starts with the problem.
    expect(await box.evaluate((input) => (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent).join(' | '))).toMatch(
      /^Error: Search text must be at most 200 characters \| Case and accents do not count/,
    )
    await screenshot(page, `search-too-long-${device}`)
    expect(events.dialogs.concat(events.pageErrors, events.cspViolations, events.consoleErrors)).toEqual([])
    await page.context().close()
  })
})

describe('paging and the notice', () => {
  it.each(DEVICES)('on %s: Next, Previous and First page with where you are; "Item stored." once, not on a reload', async (device, options) => {
    const { page, events } = await open(options)
    await goto(page, '/catalogue/?q=Bolt')
    const position = (): Promise<string> => page.locator('.position').innerText()
    expect(await position()).toBe(`Items 1–${LIST_LIMIT_DEFAULT} of ${BOLTS.length}`)
    await page.getByRole('link', { name: 'Next page' }).click()
    await page.waitForURL(/after=/)
    expect(await position()).toBe(`Items ${LIST_LIMIT_DEFAULT + 1}–${LIST_LIMIT_DEFAULT + 4} of ${BOLTS.length}`)
    await screenshot(page, `catalogue-second-page-${device}`)
    await page.getByRole('link', { name: 'Previous page' }).click()
    await page.waitForURL(/before=/)
    expect(await position()).toBe(`Items 1–${LIST_LIMIT_DEFAULT} of ${BOLTS.length}`)
    expect(await page.locator('table.catalogue tbody th a').first().innerText()).toBe('Bolt 00')
    expect(await page.getByRole('link', { name: 'Previous page' }).count()).toBe(0)

    await goto(page, '/')
    const name = `Noticed (${device})`
    await page.getByLabel(/^Name/).fill(name)
    await page.getByLabel(/^Price/).fill('5')
    await page.getByRole('button', { name: 'Store item' }).click()
    await page.waitForURL(`${fx.baseUrl}/catalogue/${encodeURIComponent(name)}/`)
    expect(await page.getByRole('status').innerText()).toContain('Item stored.')
    await page.reload()
    expect(await page.locator('h1').innerText()).toBe(name)
    expect(await page.getByRole('status').count()).toBe(0)
    await screenshot(page, `item-reloaded-${device}`)
    expect(events).toEqual(noEvents())
    await page.context().close()
  })
})

describe('for keyboards, screen readers and axe-core', () => {
  // Every kind of page the service renders, with its menu entry marked as current (if any).
  const PAGES: [label: string, path: string, status: number, current: string | null][] = [
    ['catalogue', '/catalogue/', 200, 'Catalogue'],
    ['search', '/catalogue/?q=Bolt', 200, 'Catalogue'],
    ['search-too-long', `/catalogue/?q=${'B'.repeat(NAME_MAX_LENGTH + 1)}`, 422, 'Catalogue'],
    ['search-price-order', '/catalogue/?q=bolt&min_price=1&max_price=5&sort=-price', 200, 'Catalogue'],
    ['search-bad-price', '/catalogue/?q=bolt&min_price=cheap&max_price=1.234', 422, 'Catalogue'],
    ['search-by-prefix', '/catalogue/?prefix=Bolt&sort=price', 200, 'Catalogue'],
    ['search-unknown-parameter', '/catalogue/?contains=bolt', 422, 'Catalogue'],
    ['item', '/catalogue/Bolt%2001/', 200, null],
    ['item-not-found', '/catalogue/Nothing%20here/', 404, null],
    ['page-not-found', '/nowhere', 404, null],
    ['form', '/', 200, 'New item'],
  ]

  async function expectAccessible(page: Page, label: string): Promise<void> {
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
    const violations = results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)
    expect(violations, label).toEqual([])
  }

  async function expectSkipLinkAndMenu(page: Page, label: string, current: string | null): Promise<void> {
    const firstFocusable = await page.evaluate(() => document.querySelector('a[href], button, input, textarea, select')?.textContent)
    expect(firstFocusable, label).toBe('Skip to content')
    // A page that puts the cursor in a field with a problem (autofocus) starts the keyboard there instead.
    if ((await page.locator('[autofocus]').count()) > 0) return
    // The first Tab lands on "Skip to content", shown on screen; Enter takes the keyboard to the page's content.
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => {
      const element = document.activeElement
      return element instanceof HTMLElement ? { text: element.innerText, top: element.getBoundingClientRect().top } : null
    })
    expect(focused?.text, label).toBe('Skip to content')
    expect(focused?.top, label).toBeGreaterThanOrEqual(0)
    await page.keyboard.press('Enter')
    // The page's URL reaches the test after the key press returns: wait for it.
    await expect.poll(() => page.url(), { message: label, timeout: 30_000 }).toMatch(/#main$/)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.closest('header') === null), label).toBe(true)
    const marked = await page.locator('nav[aria-label="Site"] a[aria-current="page"]').allInnerTexts()
    expect(marked, label).toEqual(current === null ? [] : [current])
  }

  it.each(DEVICES)('on %s every page has a working skip link, marks where it is in the menu, and breaks no WCAG 2.1 A/AA rule', async (device, options) => {
    const { page } = await open(options)
    // The form's 422 and 409 pages, reached by sending it.
    for (const [label, name, price] of [['invalid', 'Bad price', '1.234'], ['conflict', 'Taken', '1']] as const) {
      await goto(page, '/')
      await page.getByLabel(/^Name/).fill(name)
      await page.getByLabel(/^Price/).fill(price)
      // The browser's own check would stop 1.234 before it is sent.
      await page.locator('form').evaluate((form) => {
        form.setAttribute('novalidate', '')
      })
      await page.getByRole('button', { name: 'Store item' }).click()
      await page.locator('.error-summary').waitFor()
      await expectAccessible(page, label)
      await screenshot(page, `${label}-${device}`)
      expect(await page.locator('.error-summary h2').innerText(), label).toMatch(/^The item was not stored/)
      await expectSkipLinkAndMenu(page, label, 'New item')
    }
    for (const [label, path, status, current] of PAGES) {
      await goto(page, path, status)
      await expectAccessible(page, label)
      await expectSkipLinkAndMenu(page, label, current)
    }
    await page.context().close()
    // Fourteen pages and two forms, each checked by axe-core: minutes on a busy machine.
  })

  it.each(DEVICES)('on %s the form at / has the skip link and marks "New item" as the current page', async (_device, options) => {
    const { page } = await open(options)
    await goto(page, '/')
    await expectSkipLinkAndMenu(page, 'form', 'New item')
    await page.context().close()
  })
})

describe('/docs', () => {
  it('has a bar back to the site, the service’s title, shows and loads /openapi.json, and passes axe-core', async () => {
    const { page, events } = await open(DESKTOP)
    await goto(page, '/docs')
    await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' })
    expect(await page.title()).toBe('API documentation · Item store')
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Item store')
    // The document's address, under the title (the site's bar replaces swagger-ui's own, with /docs/json).
    expect((await page.locator('.swagger-ui .info .url').innerText()).trim()).toBe(`${fx.baseUrl}/openapi.json`)
    expect(await page.locator('.swagger-ui .topbar').count()).toBe(0)
    const bar = page.getByRole('navigation', { name: 'Site' })
    expect(await bar.getByRole('link').evaluateAll((links) => links.map((link) => [link.textContent, link.getAttribute('href')]))).toEqual([
      ['Item store', '/'],
      ['New item', '/'],
      ['Catalogue', '/catalogue/'],
    ])
    // WCAG 2.1 A/AA but one rule: swagger-ui puts a copy button inside each operation's summary button
    // (nested-interactive), which only a change to swagger-ui itself can undo. Its colours are ours (docs.ts).
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).disableRules(['nested-interactive']).analyze()
    expect(results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([])
    await screenshot(page, 'docs-site-bar-desktop')
    await bar.getByRole('link', { name: 'Catalogue' }).click()
    await page.waitForURL(`${fx.baseUrl}/catalogue/`)
    expect(events).toEqual(noEvents())
    await page.context().close()
  })
})
