/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so this file sees the DOM types.
// /docs and the security headers in a real browser: swagger-ui works under its CSP, our pages under a
// strict one, and both over plain http also when the host is not loopback (no upgrade-insecure-requests).
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, postForm } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'
import { chromiumPath, DESKTOP, launchChromium, noEvents, PAGE_APP, type PageEvents, screenshot, watch } from './browser.js'

// A name that is not loopback, so Chromium treats http on it as insecure, as it would a LAN address or a
// container's host name; the browser still connects to 127.0.0.1 and nothing is looked up.
const PLAIN_HTTP_HOST = 'item-store.test'

const fx = useApp('e2e_docs', PAGE_APP)
let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium([`--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1`])
})
afterAll(async () => {
  await browser?.close()
})

function baseUrl(host = '127.0.0.1'): string {
  return fx.baseUrl.replace('127.0.0.1', host)
}

async function newPage(): Promise<{ page: Page; events: PageEvents }> {
  if (browser === undefined) throw new Error('Chromium did not start')
  const page = await (await browser.newContext(DESKTOP)).newPage()
  return { page, events: await watch(page) }
}

/** Waits until swagger-ui has drawn the API from /openapi's document. */
async function expectDocsRendered(page: Page): Promise<void> {
  await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' })
  expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Item store')
  await page.locator('.swagger-ui .opblock').first().waitFor({ state: 'visible' })
  expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThanOrEqual(4)
}

describe('/docs in Chromium', () => {
  it('renders the swagger UI and an operation under its CSP with no violation', async () => {
    const { page, events } = await newPage()
    const response = await page.goto(`${baseUrl()}/docs`)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).not.toContain('upgrade-insecure-requests')
    await expectDocsRendered(page)

    // Open the JSON create operation: its schema and example are drawn too.
    const create = page.locator('.opblock-post', { hasText: '/items/new/' }).first()
    await create.locator('.opblock-summary').first().click()
    await create.locator('.opblock-body').waitFor({ state: 'visible' })
    // swagger-ui fills the opened panel a moment after it shows it.
    await expect.poll(() => create.locator('.opblock-body').innerText(), { timeout: 120_000 }).toContain('Rusty old bucket')
    await screenshot(page, 'docs-desktop')
    expect(events).toEqual(noEvents())
    await page.context().close()
  })
})

describe('security headers', () => {
  it('gives our pages a strict CSP without upgrade-insecure-requests and sends no HSTS', async () => {
    for (const answer of [await get(fx.baseUrl, '/'), await postForm(fx.baseUrl, { name: 'Headers', price: '1' })]) {
      const csp = answer.headers['content-security-policy'] ?? ''
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("style-src 'self'")
      expect(csp).toContain("form-action 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('upgrade-insecure-requests')
      expect(answer.headers['strict-transport-security']).toBeUndefined()
      expect(answer.headers['x-content-type-options']).toBe('nosniff')
    }
  })

  it('serves the form with its stylesheet, and /docs working, over plain http on a non-loopback host name', async () => {
    const { page, events } = await newPage()
    const response = await page.goto(`${baseUrl(PLAIN_HTTP_HOST)}/`)
    expect(response?.url()).toBe(`${baseUrl(PLAIN_HTTP_HOST)}/`)
    // /styles.css loaded over http: the form sits on its white card.
    expect(await page.locator('form').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 255, 255)')

    await page.goto(`${baseUrl(PLAIN_HTTP_HOST)}/docs`)
    await expectDocsRendered(page)
    // Chromium notes that it ignores Cross-Origin-Opener-Policy on an insecure origin; that is all it may say.
    const consoleErrors = events.consoleErrors.filter((text) => !text.includes('Cross-Origin-Opener-Policy header has been ignored'))
    expect({ ...events, consoleErrors }).toEqual(noEvents())
    await page.context().close()
  })
})

describe('without Chromium', () => {
  it('fails with how to install it or where to point CHROMIUM_PATH', () => {
    expect(() => chromiumPath({ CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow(/apt-get install chromium.*CHROMIUM_PATH/)
  })
})
