/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so these files see the DOM types.
// The entry form in a real browser (headless Chromium): what a person sees, types and gets back.
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH } from '../../src/items/schemas.js'
import { get } from '../../harness/http.js'
import { useApp } from '../setup/test-app.js'
import { DESKTOP, launchChromium, noEvents, PAGE_APP, type PageEvents, PHONE, screenshot, watch } from './browser.js'

const fx = useApp('e2e_form', PAGE_APP)
let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

function baseUrl(): string {
  return fx.baseUrl
}

async function openForm(options: BrowserContextOptions = DESKTOP): Promise<{ page: Page; events: PageEvents }> {
  if (browser === undefined) throw new Error('Chromium did not start')
  const context = await browser.newContext(options)
  const page = await context.newPage()
  const events = await watch(page)
  const response = await page.goto(`${baseUrl()}/`)
  expect(response?.status()).toBe(200)
  return { page, events }
}

/** Clicks the submit button and returns the status of the form's answer (303 when stored: the browser then shows the item's page). */
async function submit(page: Page, how: () => Promise<void> = () => page.getByRole('button', { name: 'Store item' }).click()): Promise<number> {
  const answer = page.waitForResponse((response) => response.url().endsWith('/items/new/form/'))
  await how()
  const response = await answer
  // A 303 goes on to the item's page; anything else is the page itself.
  if (response.status() === 303) await page.waitForURL(/\/catalogue\/[^?]+\/$/)
  await page.waitForLoadState()
  return response.status()
}

/** A form control by the start of its label (the error summary is labelled "That name is ..."). */
function field(page: Page, label: string): Locator {
  return page.getByLabel(new RegExp(`^${label}`))
}

async function fill(page: Page, values: { name?: string; price?: string; tax?: string; description?: string }): Promise<void> {
  if (values.name !== undefined) await field(page, 'Name').fill(values.name)
  if (values.price !== undefined) await field(page, 'Price').fill(values.price)
  if (values.tax !== undefined) await field(page, 'Tax').fill(values.tax)
  if (values.description !== undefined) await field(page, 'Description').fill(values.description)
}

/** The text of the elements a field's aria-describedby points at, i.e. what a screen reader reads with it. */
async function description(page: Page, label: string): Promise<string> {
  return field(page, label).evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? `(missing #${id})`)
      .join(' | '),
  )
}

async function getJson(name: string): Promise<{ status: number; body: unknown }> {
  const answer = await get(fx.baseUrl, `/items/${encodeURIComponent(name)}/`)
  return { status: answer.status, body: answer.json }
}

describe('the entry form in Chromium', () => {
  it('labels every field and carries the server rules as input attributes', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await openForm(options)
      expect(await page.title()).toBe('New item · Item store')
      expect(await page.locator('html').getAttribute('lang')).toBe('en')
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 120_000 }).toBe('New item')
      expect(await page.getByRole('link', { name: 'API documentation' }).first().getAttribute('href')).toBe('/docs')

      const name = field(page, 'Name')
      expect(await name.evaluate((e: HTMLInputElement) => [e.required, e.maxLength])).toEqual([true, NAME_MAX_LENGTH])
      const text = field(page, 'Description')
      expect(await text.evaluate((e: HTMLTextAreaElement) => [e.required, e.maxLength])).toEqual([false, DESCRIPTION_MAX_LENGTH])
      for (const [label, required] of [['Price', true], ['Tax', false]] as const) {
        const money = field(page, label)
        expect(await money.evaluate((e: HTMLInputElement) => [e.required, e.inputMode, e.pattern !== ''])).toEqual([required, 'decimal', true])
      }
      // The stylesheet applied: the form sits on a white card, and nothing is wider than the screen.
      expect(await page.locator('form').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 255, 255)')
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      await screenshot(page, `form-${device}`)
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  // Which amounts the pattern takes is test/views/amount-pattern.test.ts's table; here, that Chromium applies it.
  it('stops an amount the server refuses in the price field, before anything is sent', async () => {
    const { page } = await openForm()
    const price = field(page, 'Price')
    for (const [sample, accepted] of [['12.34', true], ['12.345', false]] as const) {
      await price.fill(sample)
      expect(await price.evaluate((e: HTMLInputElement) => !e.validity.patternMismatch), sample).toBe(accepted)
    }
    await field(page, 'Name').fill('Never sent')
    let sent = 0
    page.on('request', (request) => {
      if (request.method() === 'POST') sent += 1
    })
    expect(await page.locator('form').evaluate((form: HTMLFormElement) => form.checkValidity())).toBe(false)
    // The browser's refusal to submit is an `invalid` event on the price field: wait for that, not for a time.
    const refused = price.evaluate(
      (e: HTMLInputElement) =>
        new Promise<boolean>((resolve) => {
          e.addEventListener('invalid', () => {
            resolve(true)
          })
        }),
    )
    await page.getByRole('button', { name: 'Store item' }).click()
    expect(await refused).toBe(true)
    expect(sent).toBe(0)
    expect(page.url()).toBe(`${baseUrl()}/`)
    await page.context().close()
  })

  it('stores a filled-in item, shows it with two decimals, and serves the same item as JSON', async () => {
    for (const [device, options] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const { page, events } = await openForm(options)
      const name = `Rusty bucket (${device})`
      await fill(page, { name, price: '12.5', tax: '.3', description: 'Old, slightly rusty.\nHolds water.' })
      expect(await submit(page)).toBe(303)

      // The item's own page, saying it was just stored; reloading it shows it again, sends nothing.
      expect(new URL(page.url()).pathname).toBe(`/catalogue/${encodeURIComponent(name)}/`)
      expect(await page.title()).toBe(`${name} · Item store`)
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(name)
      expect(await page.getByRole('status').innerText()).toContain('Item stored')
      let posted = 0
      page.on('request', (request) => {
        if (request.method() === 'POST') posted += 1
      })
      expect((await page.reload())?.status()).toBe(200)
      expect(posted).toBe(0)
      const shown = await page.locator('dl.item').evaluate((dl) =>
        Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
      )
      expect(shown).toEqual({ Name: name, Price: '12.50', Tax: '0.30', Description: 'Old, slightly rusty.\nHolds water.' })
      await screenshot(page, `created-${device}`)

      // Browsers send a textarea's newlines as CRLF; the form route stores them as LF, as they were typed.
      const stored = { name, price: 12.5, description: 'Old, slightly rusty.\nHolds water.', tax: 0.3 }
      expect(await getJson(name)).toEqual({ status: 200, body: stored })
      // The page's own link leads to the same JSON.
      await page.getByRole('link', { name: 'View as JSON' }).click()
      await page.waitForURL(`${baseUrl()}/items/${encodeURIComponent(name)}/`)
      expect(JSON.parse(await page.locator('body').innerText())).toEqual(stored)
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  it('answers a taken name with a 409 page that keeps what was typed and leaves the stored item alone', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await openForm(options)
      const name = `Lamp (${device})`
      await fill(page, { name, price: '30' })
      expect(await submit(page)).toBe(303)

      await page.goto(`${baseUrl()}/`)
      await fill(page, { name, price: '99.99', tax: '5', description: 'A second lamp' })
      expect(await submit(page)).toBe(409)
      expect(await page.title()).toBe('Already present: New item · Item store')
      // Said once, beside the name, with a link to the item that has it.
      expect(await page.getByText('already present').count()).toBe(1)
      expect(await description(page, 'Name')).toContain(`An item named “${name}” is already present`)
      expect(await page.locator('#name-error a').getAttribute('href')).toBe(`/catalogue/${encodeURIComponent(name)}/`)
      expect(await field(page, 'Name').getAttribute('aria-invalid')).toBe('true')
      expect(await field(page, 'Price').inputValue()).toBe('99.99')
      expect(await field(page, 'Tax').inputValue()).toBe('5')
      expect(await field(page, 'Description').inputValue()).toBe('A second lamp')
      await screenshot(page, `conflict-${device}`)

      expect(await getJson(name)).toEqual({ status: 200, body: { name, price: 30, description: '', tax: 0 } })
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  it('shows an invalid price beside its field with everything typed kept, then stores the corrected item', async () => {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const { page, events } = await openForm(options)
      const name = `Gold bucket (${device})`
      // Within the browser's pattern, over the server's maximum: only the server can refuse it.
      await fill(page, { name, price: '12345678901234', tax: '1.5', description: 'Gold plated' })
      expect(await submit(page)).toBe(422)

      expect(await page.title()).toBe('Error: New item · Item store')
      expect(await field(page, 'Name').inputValue()).toBe(name)
      expect(await field(page, 'Price').inputValue()).toBe('12345678901234')
      expect(await field(page, 'Tax').inputValue()).toBe('1.5')
      expect(await field(page, 'Description').inputValue()).toBe('Gold plated')
      const price = field(page, 'Price')
      expect(await price.getAttribute('aria-invalid')).toBe('true')
      expect(await description(page, 'Price')).toBe('Error: Price must be at most 9999999999999.99 | For example 12.34; at most 2 decimals.')
      // Beside its field: the message is in the field's own box, just above the input, which has the focus.
      expect(await price.evaluate((e) => e.previousElementSibling?.id)).toBe('price-error')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('price')
      for (const label of ['Name', 'Tax', 'Description']) {
        expect(await field(page, label).getAttribute('aria-invalid'), label).toBeNull()
      }
      expect(await page.getByRole('alert').getByRole('link').getAttribute('href')).toBe('#price')
      await screenshot(page, `invalid-${device}`)

      await price.fill('12.34')
      expect(await submit(page)).toBe(303)
      expect(await getJson(name)).toEqual({ status: 200, body: { name, price: 12.34, description: 'Gold plated', tax: 1.5 } })
      expect(events).toEqual(noEvents())
      await page.context().close()
    }
  })

  it('can be used with the keyboard alone', async () => {
    const { page, events } = await openForm()
    const focused = (): Promise<string> => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '')
    // Tab from the top of the page to the first field, through the header's links; bounded.
    for (let presses = 0; presses < 10 && (await focused()) !== 'name'; presses += 1) await page.keyboard.press('Tab')
    expect(await focused()).toBe('name')
    // A focused field shows a visible focus ring.
    expect(await field(page, 'Name').evaluate((e) => getComputedStyle(e).outlineStyle)).not.toBe('none')
    await screenshot(page, 'keyboard-focus-desktop')

    const order: string[] = []
    for (const text of ['Keyboard kettle', '7.25', '0.5', 'Typed, never clicked']) {
      order.push(await focused())
      await page.keyboard.type(text)
      await page.keyboard.press('Tab')
    }
    expect(order).toEqual(['name', 'price', 'tax', 'description'])
    expect(await focused()).toBe('BUTTON')
    expect(await submit(page, () => page.keyboard.press('Enter'))).toBe(303)
    expect(await getJson('Keyboard kettle')).toEqual({
      status: 200,
      body: { name: 'Keyboard kettle', price: 7.25, description: 'Typed, never clicked', tax: 0.5 },
    })
    expect(events).toEqual(noEvents())
    await page.context().close()
  })
})

describe('user text in the pages', () => {
  const markup = {
    name: `<script>alert("name")</script>"><img src=x onerror=alert(1)> $& $' &amp;`,
    price: `"><img src=x onerror=alert(2)>`,
    tax: `'><svg onload=alert(3)>`,
    description: `</textarea><script>alert(4)</script><b onmouseover=alert(5)>bold</b>\n"><iframe src=javascript:alert(6)>`,
  }
  const injected = 'main script, main img, main svg, main iframe, main b'

  it('shows markup and script typed in every field as text, and runs none of it', async () => {
    if (browser === undefined) throw new Error('Chromium did not start')
    // bypassCSP: the page's CSP would block injected scripts anyway; here escaping alone must stop them.
    const context = await browser.newContext({ ...DESKTOP, bypassCSP: true })
    const page = await context.newPage()
    const events = await watch(page)
    await page.goto(`${baseUrl()}/`)

    // All four fields, past the browser's own checks as a crafted request would be: 422 with the text kept.
    await page.locator('form').evaluate((form: HTMLFormElement) => {
      form.noValidate = true
    })
    await fill(page, markup)
    expect(await submit(page)).toBe(422)
    for (const [label, value] of [['Name', markup.name], ['Price', markup.price], ['Tax', markup.tax]] as const) {
      expect(await field(page, label).inputValue(), label).toBe(value)
    }
    expect(await field(page, 'Description').inputValue()).toBe(markup.description)
    expect(await page.locator(injected).count()).toBe(0)
    await screenshot(page, 'markup-invalid-desktop')

    // With valid amounts the item is stored, and its page shows the name and description as text.
    await field(page, 'Price').fill('1')
    await field(page, 'Tax').fill('')
    expect(await submit(page)).toBe(303)
    expect(await page.locator('dd.name').textContent()).toBe(markup.name)
    expect(await page.locator('dl.item dd').last().textContent()).toBe(markup.description)
    expect(await page.locator(injected).count()).toBe(0)
    await screenshot(page, 'markup-created-desktop')
    expect(await getJson(markup.name)).toMatchObject({ status: 200, body: { name: markup.name } })

    // The same name again: the 409 page quotes it as text.
    await page.goto(`${baseUrl()}/`)
    await fill(page, { name: markup.name, price: '2' })
    expect(await submit(page)).toBe(409)
    expect(await page.locator('#name-error').innerText()).toContain(`An item named “${markup.name}” is already present`)
    expect(await field(page, 'Name').inputValue()).toBe(markup.name)
    expect(await page.locator(injected).count()).toBe(0)

    // Hovering where the injected <b onmouseover> would be must not run anything either.
    await page.locator('#name-error').hover()
    expect(events.dialogs).toEqual([])
    expect(events.pageErrors).toEqual([])
    await context.close()
  })
})
