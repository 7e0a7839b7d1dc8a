// The one layout of every page the service renders. It is public/index.html's, whose look the form's
// result pages share; test/views/ checks that the two stay alike.
import { ACCOUNT_SLOT } from './account.js'
import { html, type Html } from './html.js'

const SITE_NAME = 'Item store'

/** A whole page: `title` goes before the site name in the browser tab, `main` is the page's content. */
export function page(title: string, main: Html): string {
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
<header class="site-header">
<div class="bar">
<a class="brand" href="/">${SITE_NAME}</a>
<nav aria-label="Site"><a href="/">New item</a> <a href="/catalogue/">Catalogue</a> <a href="/docs">API documentation</a></nav>
${ACCOUNT_SLOT}
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
