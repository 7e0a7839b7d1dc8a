/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so these files see the DOM types.
// An editor in a real browser (headless Chromium): signs in, adds an item through the form, sees their name
// in the header, signs out and is no longer offered the form; a page from another origin cannot post the form
// in their name (127.0.0.1 on another port is the same site, so SameSite=Lax lets the cookie through and the
// CSRF token is what refuses it).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessConfig, editor, newKey } from '../../harness/access.js'
import { startApp, type RunningApp } from '../../harness/app.js'
import { testDbUri } from '../setup/test-app.js'
import { DESKTOP, launchChromium, PAGE_APP, screenshot, watch } from './browser.js'

const PASSWORD = 'correct horse battery staple'
let browser: Browser | undefined
let running: RunningApp | undefined
let other: Server | undefined
let otherOrigin = ''

function app(): RunningApp {
  if (running === undefined) throw new Error('the app did not start')
  return running
}

/** A page on another origin that posts the entry form to the service, as a hostile site would. */
function hostilePage(target: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title></head><body>
<form method="post" action="${target}/items/new/form/">
<input type="hidden" name="name" value="planted by another site">
<input type="hidden" name="price" value="1.00">
<button type="submit">Claim your prize</button>
</form></body></html>`
}

/** axe-core's WCAG 2.1 A/AA rules, as test/e2e/newcomer.test.ts runs them on the other pages. */
async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const violations = results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)
  expect(violations, label).toEqual([])
}

beforeAll(async () => {
  browser = await launchChromium()
  const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
  running = await startApp({ mongodbUri: testDbUri('e2e_access'), access, ...PAGE_APP })
  const target = running.baseUrl
  other = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostilePage(target))
  })
  await new Promise<void>((resolve) => other?.listen(0, '127.0.0.1', resolve))
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => other?.close(resolve))
  await running?.close()
})

describe('an editor in the browser', () => {
  it('signs in, adds an item, sees their name, is protected from another origin, signs out and loses the form', async () => {
    if (browser === undefined) throw new Error('Chromium did not start')
    const context = await browser.newContext(DESKTOP)
    const page = await context.newPage()
    const events = await watch(page)
    const base = app().baseUrl

    // Not signed in: the front page is the sign-in form, not a form that would be refused.
    await page.goto(`${base}/`)
    expect(new URL(page.url()).pathname).toBe('/signin')
    expect(await page.getByRole('button', { name: 'Store item' }).count()).toBe(0)
    await expectAccessible(page, 'the sign-in page')
    await page.getByLabel('Name').fill('alice')
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForLoadState()
    expect(await page.getByRole('alert').innerText()).toContain('The name or the password is not right')
    await expectAccessible(page, 'the sign-in page with its error')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${base}/`)
    await expect.poll(() => page.locator('header').innerText(), { timeout: 120_000 }).toContain('Signed in as alice')
    await expectAccessible(page, 'the form with the signed-in header')

    await page.getByLabel(/^Name/).fill('Desk lamp')
    await page.getByLabel(/^Price/).fill('24.90')
    await page.getByRole('button', { name: 'Store item' }).click()
    await page.waitForURL(/\/catalogue\/Desk%20lamp\/$/)
    expect(await page.locator('main').innerText()).toContain('Item stored')
    expect(await page.locator('header').innerText()).toContain('Signed in as alice')
    await screenshot(page, 'access-signed-in')
    const items = await app().items()
    expect((await items.stored('Desk lamp'))?.createdBy).toBe('editor:alice')

    // Another origin's page posts the form in alice's browser: the cookie goes along, the token does not.
    const hostile = await context.newPage()
    await hostile.goto(otherOrigin)
    const answer = hostile.waitForResponse((response) => response.url().endsWith('/items/new/form/'))
    await hostile.getByRole('button', { name: 'Claim your prize' }).click()
    expect((await answer).status()).toBe(403)
    await hostile.waitForLoadState()
    expect(await hostile.locator('main').innerText()).toContain('did not come from this site')
    expect(await items.stored('planted by another site')).toBeNull()

    // Sign out: back to the sign-in page, and the form is not offered any more.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/signin\?next=\/$/)
    expect(await page.locator('header').innerText()).not.toContain('Signed in as')
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1)
    await page.goto(`${base}/`)
    expect(new URL(page.url()).pathname).toBe('/signin')
    expect(await page.getByRole('button', { name: 'Store item' }).count()).toBe(0)
    await screenshot(page, 'access-signed-out')
    expect(events.pageErrors).toEqual([])
    expect(events.cspViolations).toEqual([])
    await context.close()
  })
})
