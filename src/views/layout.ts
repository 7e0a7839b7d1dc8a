// The one layout of every page the service renders, the entry form at / included.
import { accountBar, type Account } from './account.js'
import { html, type Html } from './html.js'

const SITE_NAME = 'Item store'

/** The site menu's entries; a page that is one of them says so (aria-current) to screen readers and in bold. */
export type MenuEntry = 'form' | 'catalogue'

const MENU: readonly [MenuEntry | 'docs', string, string][] = [
  ['form', '/', 'New item'],
  ['catalogue', '/catalogue/', 'Catalogue'],
  ['docs', '/docs', 'API documentation'],
]

/**
 * A whole page: `title` goes before the site name in the browser tab, `main` is the page's content, and
 * `current` the menu entry it belongs to, if any; `account` who is signed in (the header shows it).
 */
export function page(title: string, main: Html, current?: MenuEntry, account?: Account): string {
  const menu = MENU.map(([entry, href, text], i) => [i > 0 && ' ', html`<a href="${href}"${entry === current && html` aria-current="page"`}>${text}</a>`])
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · ${SITE_NAME}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/styles.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="bar">
<a class="brand" href="/">${SITE_NAME}</a>
<nav aria-label="Site">${menu}</nav>
${accountBar(account)}
</div>
</header>
<main id="main">
${main}
</main>
<footer class="site-footer">
<p>Programs can use the same store as JSON: see the <a href="/docs">API documentation</a>.</p>
</footer>
</body>
</html>
`.text
}
