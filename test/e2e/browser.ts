/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, so these files see the DOM types.
// Headless Chromium for the end-to-end tests: Debian's package, driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * The apps behind the pages: database calls may take 15 s. The pages are under test here, not the 1.5 s bound,
 * which on a busy machine would answer a page 503 (the outage tests check the bound).
 */
export const PAGE_APP = { dbOperationTimeoutMs: 15_000 }

// Where Chromium or Chrome usually is: Debian/Ubuntu packages, Google's packages, macOS apps.
const SYSTEM_CHROMIUM_PATHS = [
  DEFAULT_CHROMIUM_PATH,
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]

// Quiet and offline: no update checks, sync or QUIC to the internet; no sandbox (CI runs as root).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
]

/**
 * Where Chromium is: CHROMIUM_PATH when set, else the first system browser found, else one that
 * `npx playwright install chromium` downloaded. Throws (so the tests fail, never skip) with how to get one.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CHROMIUM_PATH
  const candidates = given !== undefined && given !== '' ? [given] : [...SYSTEM_CHROMIUM_PATHS, chromium.executablePath()]
  const found = candidates.find((path) => existsSync(path))
  if (found === undefined) {
    throw new Error(
      `Chromium was not found (looked at ${candidates.join(', ')}). The browser tests need it: install Debian's ` +
        'package with `apt-get install chromium`, or run `npx playwright install chromium`, or set CHROMIUM_PATH ' +
        'to a Chromium or Chrome binary.',
    )
  }
  return found
}

// Playwright's waits (30 s by default) are outer bounds here; a busy machine may need far longer.
const BROWSER_WAIT_MS = 120_000

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] })
  const newContext = browser.newContext.bind(browser)
  browser.newContext = async (options) => {
    const context = await newContext(options)
    context.setDefaultTimeout(BROWSER_WAIT_MS)
    return context
  }
  return browser
}

export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } }

const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url))

/** A full-page screenshot in test-output/screenshots/<name>.png (gitignored), for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true })
}

/** What a page did that a person would notice or should never happen: dialogs, errors, CSP violations. */
export interface PageEvents {
  dialogs: string[]
  consoleErrors: string[]
  pageErrors: string[]
  cspViolations: string[]
  failedRequests: string[]
}

const CSP_MARK = 'csp-violation:'

/** Records a page's events from now on; dialogs are dismissed so a page never hangs on one. */
export async function watch(page: Page): Promise<PageEvents> {
  const events: PageEvents = { dialogs: [], consoleErrors: [], pageErrors: [], cspViolations: [], failedRequests: [] }
  page.on('dialog', (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  page.on('console', (message) => {
    const text = message.text()
    if (text.startsWith(CSP_MARK)) events.cspViolations.push(text.slice(CSP_MARK.length))
    // Chromium logs every 4xx answer, the 409 and 422 pages included; failed loads are checked below.
    else if (message.type() === 'error' && !text.startsWith('Failed to load resource: the server responded')) {
      events.consoleErrors.push(text)
    }
  })
  page.on('response', (response) => {
    const request = response.request()
    if (response.status() >= 400 && !request.isNavigationRequest()) events.failedRequests.push(`${request.url()}: HTTP ${response.status()}`)
  })
  page.on('pageerror', (error) => events.pageErrors.push(error.message))
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? ''
    // ERR_ABORTED: the page moved on (a form was submitted) before, say, its icon had loaded.
    if (reason !== 'net::ERR_ABORTED') events.failedRequests.push(`${request.url()}: ${reason}`)
  })
  // Injected by the browser's debugging protocol, so the page's own CSP does not block this listener.
  await page.addInitScript((mark: string) => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.log(`${mark}${event.effectiveDirective} blocked ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`)
    })
  }, CSP_MARK)
  return events
}

export function noEvents(): PageEvents {
  return { dialogs: [], consoleErrors: [], pageErrors: [], cspViolations: [], failedRequests: [] }
}
