// 404 for a person who mistyped an address: in the site's look, with the ways in. Programs get JSON.
import { CATALOGUE_PATH } from '../items/item-path.js'
import type { Account } from './account.js'
import { html } from './html.js'
import { page } from './layout.js'

export function notFoundPage(account?: Account): string {
  return page(
    'Page not found',
    html`<h1>Page not found</h1>
<div class="notice error" role="alert"><p>There is no page at this address. Check it for a typing mistake, or start from one of these.</p></div>
<p class="actions"><a class="button" href="/">Add an item</a> <a class="button secondary" href="${CATALOGUE_PATH}">Browse the catalogue</a></p>`,
    undefined,
    account,
  )
}
