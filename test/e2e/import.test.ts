/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so these files see the DOM types.
// The import page in a real browser (headless Chromium): an editor signs in, opens Import from the menu, imports a
// CSV with a few bad rows, watches the progress bar move, reads the table of rows not imported, downloads the
// full results, then downloads the catalogue as CSV from the catalogue page. (The form without JavaScript is
// test/items/transfer-routes.test.ts's.)
import { readFileSync } from 'node:fs'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Download, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessConfig, editor, newKey } from '../../harness/access.js'
import { startApp, type RunningApp } from '../../harness/app.js'
import { get } from '../../harness/http.js'
import { generatedCsv } from '../../harness/transfer.js'
import { testDbUri } from '../setup/test-app.js'
import { DESKTOP, launchChromium, PAGE_APP, screenshot, watch } from './browser.js'

const PASSWORD = 'correct horse battery staple'
// Two batches of result lines (500 rows each), so the bar shows a value between the start and the end.
const GOOD_ROWS = 700
const BAD_ROWS = ['no-price,,,', 'bad-price,twelve,,', 'too-precise,1.234,,']
const CSV = `${generatedCsv(GOOD_ROWS).trimEnd()}\n${BAD_ROWS.join('\n')}\n`

let browser: Browser | undefined
let running: RunningApp | undefined

function app(): RunningApp {
  if (running === undefined) throw new Error('the app did not start')
  return running
}

async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), label).toEqual([])
}

async function text(download: Download): Promise<string> {
  return readFileSync(await download.path(), 'utf8')
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${app().baseUrl}/import/`)
  // Not signed in: sent to sign in, and back to the import page after it.
  expect(new URL(page.url()).pathname).toBe('/signin')
  await page.getByLabel('Name').fill('alice')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${app().baseUrl}/import/`)
}

beforeAll(async () => {
  browser = await launchChromium()
  const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
  running = await startApp({ mongodbUri: testDbUri('e2e_import'), access, ...PAGE_APP })
})

afterAll(async () => {
  await browser?.close()
  await running?.close()
})

describe('the import page', () => {
  it('imports a CSV with a few bad rows, shows progress and the rows not imported, and downloads the results and the catalogue', async () => {
    if (browser === undefined) throw new Error('Chromium did not start')
    const context = await browser.newContext({ ...DESKTOP, acceptDownloads: true })
    const page = await context.newPage()
    const events = await watch(page)
    await signIn(page)
    await page.goto(`${app().baseUrl}/catalogue/`)
    await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Import' }).click()
    await page.waitForURL(`${app().baseUrl}/import/`)
    expect(await page.getByRole('link', { name: 'Import' }).first().getAttribute('aria-current')).toBe('page')
    await expectAccessible(page, 'the import page')

    // Every value the progress bar takes, as the result lines arrive.
    await page.evaluate(() => {
      const bar = document.getElementById('import-bar') as HTMLProgressElement
      const seen: number[] = []
      ;(window as unknown as { progressSeen: number[] }).progressSeen = seen
      new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value', 'max'] })
    })
    await page.getByLabel('File to import').setInputFiles({ name: 'catalogue.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) })
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.locator('#import-progress').waitFor({ state: 'visible' })
    await page.getByRole('heading', { name: 'Import results' }).waitFor()
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen)
    const total = GOOD_ROWS + BAD_ROWS.length
    expect(await page.locator('#import-bar').getAttribute('max')).toBe(String(total))
    // The bar moves as the result lines arrive: it ends full (values between depend on how the lines are read).
    expect(seen.at(-1), `progress values ${seen.join(', ')}`).toBe(total)

    const main = await page.locator('main').innerText()
    expect(main).toContain(`catalogue.csv: ${total} rows, ${GOOD_ROWS} created.`)
    const table = page.getByRole('table', { name: 'Rows not imported' })
    const cells = await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => td.textContent)))
    expect(cells).toEqual([
      [String(GOOD_ROWS + 2), 'no-price', 'invalid: price is required'],
      [String(GOOD_ROWS + 3), 'bad-price', 'invalid: price must be a decimal number such as 12.34 (digits, an optional point and sign)'],
      [String(GOOD_ROWS + 4), 'too-precise', 'invalid: price must have at most 2 digits after the decimal point'],
    ])
    await screenshot(page, 'import-results')
    await expectAccessible(page, 'the import results')

    const results = page.waitForEvent('download')
    await page.getByRole('link', { name: 'Download the full results' }).click()
    const lines = (await text(await results)).trimEnd().split('\n')
    expect(lines).toHaveLength(total + 1)
    expect(JSON.parse(lines.at(-1) ?? '')).toEqual({ summary: { created: GOOD_ROWS, unchanged: 0, conflict: 0, invalid: 3, unknown: 0, skipped: 0 } })
    expect(await (await app().items()).count()).toBe(GOOD_ROWS)

    await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Catalogue' }).click()
    await page.waitForURL(`${app().baseUrl}/catalogue/`)
    const exported = page.waitForEvent('download')
    await page.getByRole('link', { name: 'Download CSV' }).click()
    const download = await exported
    expect(download.suggestedFilename()).toMatch(/^items-\d{4}-\d{2}-\d{2}\.csv$/)
    expect(await text(download)).toBe((await get(app().baseUrl, '/export/items.csv')).text)

    expect(events.pageErrors).toEqual([])
    expect(events.cspViolations).toEqual([])
    expect(events.consoleErrors).toEqual([])
    await context.close()
  })
})
