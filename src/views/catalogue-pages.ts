// The pages for reading the catalogue: the list (a page at a time, with a search by the start of the
// name) and one item. Plain links and a GET form, so they work without JavaScript.
import { CATALOGUE_PATH, itemPagePath, itemPath } from '../items/item-path.js'
import { NAME_MAX_LENGTH } from '../items/schemas.js'
import { MONEY_FIELDS, type Item, type ItemField } from '../items/stored-item.js'
import { formatCents } from '../money.js'
import type { Account } from './account.js'
import { html, type Html } from './html.js'
import { page } from './layout.js'
import { visibleText } from './visible-text.js'

/** The catalogue's URL for a search and a cursor; empty parts are left out, so the first page is plain. */
function cataloguePath(query: { q?: string | undefined; after?: string | undefined; before?: string | undefined }): string {
  const params = new URLSearchParams()
  if (query.q !== undefined && query.q !== '') params.set('q', query.q)
  if (query.after !== undefined) params.set('after', query.after)
  if (query.before !== undefined) params.set('before', query.before)
  const search = params.toString()
  return search === '' ? CATALOGUE_PATH : `${CATALOGUE_PATH}?${search}`
}

const NONE = html`<span class="empty">none</span>`
// How much of a description a row shows.
const EXCERPT_LENGTH = 80

// Every field of an item is shown (this fails to compile until a new one has its label), in this order.
const LABELS: Record<ItemField, string> = { price: 'Price', tax: 'Tax', description: 'Description' }
const SHOWN = Object.keys(LABELS) as ItemField[]

/** A field's value for people: money with two decimals, text in full or, in the list, as an excerpt. */
function shown(value: string | number | null, short: boolean): Html | string {
  if (typeof value === 'number') return formatCents(value)
  if (value === null || (short ? value.trim() : value) === '') return NONE
  if (!short) return value
  const flat = value.replace(/\s+/g, ' ').trim()
  const chars = Array.from(flat)
  return chars.length <= EXCERPT_LENGTH ? flat : `${chars.slice(0, EXCERPT_LENGTH - 1).join('').trimEnd()}…`
}

function moneyClass(field: ItemField): Html | false {
  return MONEY_FIELDS.has(field) && html` class="money"`
}

/** The search box; a search that breaks a rule is said beside it, and the text stays there to correct. */
function searchForm(q: string, problem: string | undefined): Html {
  const invalid = problem !== undefined
  return html`<form method="get" action="${CATALOGUE_PATH}" class="search" role="search">
<label for="q">Find items whose name starts with</label>
${invalid && html`<p class="field-error" id="q-error"><span class="visually-hidden">Error: </span>${problem}</p>
`}<div class="search-row">
<input id="q" name="q" type="search" value="${q}" maxlength="${NAME_MAX_LENGTH}" autocomplete="off" spellcheck="false" aria-describedby="${invalid && 'q-error '}q-hint"${invalid && html` aria-invalid="true" autofocus=""`}>
<button type="submit">Search</button>
</div>
<p class="hint" id="q-hint">Case and accents count: “Bu” finds “Bucket”, not “bucket”.</p>
</form>`
}

function table(items: Item[]): Html {
  const rows = items.map(
    (item) => html`<tr>
<th scope="row" data-label="Name"><a href="${itemPagePath(item.name)}">${item.name}</a></th>
${SHOWN.map((field) => html`<td${moneyClass(field)} data-label="${LABELS[field]}">${shown(item[field], true)}</td>
`)}</tr>
`,
  )
  return html`<table class="catalogue">
<thead><tr><th scope="col">Name</th>${SHOWN.map((field) => html`<th scope="col">${LABELS[field]}</th>`)}</tr></thead>
<tbody>
${rows}</tbody>
</table>`
}

export interface CatalogueView {
  items: Item[]
  /** The search text, "" for none. */
  q: string
  /** The search text breaks a rule: what to change. Nothing is listed then. */
  problem?: string | undefined
  /** Where this page starts (the previous page's last name), if it is not the first. */
  after: string | undefined
  /** Where this page ends (the next page's first name), when it was reached by "Previous page". */
  before?: string | undefined
  /** The cursor of the following page, null on the last. */
  next: string | null
  /** The cursor of the preceding page (this page's first name), null on the first. */
  previous?: string | null
  /** The position of this page's first item in the whole list (or the search's), from 1. */
  start?: number
}

/** The catalogue: a page of items in name order, the search box, where this page is, and links to move. */
export function cataloguePage({ items, q, problem, after, before, next, previous = null, start = 1 }: CatalogueView, account?: Account): string {
  const searching = q !== '' && problem === undefined
  const title = searching ? `Names starting with “${visibleText(q)}”` : 'Catalogue'
  let body: Html
  if (problem !== undefined) {
    body = html`<p><a href="${CATALOGUE_PATH}">Show all items</a></p>`
  } else if (items.length > 0) {
    body = table(items)
  } else if (after !== undefined || before !== undefined) {
    body = html`<p class="notice info">No more items here.</p>`
  } else if (searching) {
    body = html`<p class="notice info">No item’s name starts with “${visibleText(q)}”. <a href="${CATALOGUE_PATH}">Show all items</a></p>`
  } else {
    body = html`<p class="notice info">The catalogue is empty. <a href="/">Add the first item</a></p>`
  }
  const onFirstPage = previous === null && after === undefined && before === undefined
  const pager = [
    !onFirstPage && html`<a class="button secondary" href="${cataloguePath({ q })}">First page</a>`,
    previous !== null && html`<a class="button secondary" rel="prev" href="${cataloguePath({ q, before: previous })}">Previous page</a>`,
    next !== null && html`<a class="button" rel="next" href="${cataloguePath({ q, after: next })}">Next page</a>`,
  ].filter((link) => link !== false)
  const end = start + items.length - 1
  const position = items.length > 0 && html`<p class="position" id="position">${items.length === 1 ? `Item ${start}` : `Items ${start}–${end}`}</p>`
  return page(
    problem === undefined ? title : `Error: ${title}`,
    html`<h1>${title}</h1>
${searchForm(q, problem)}
${position}
${body}
${pager.length > 0 && html`<nav class="pager actions" aria-label="Pages">${pager.map((link, i) => [i > 0 && '\n', link])}</nav>`}
<p class="downloads">The whole catalogue: <a href="/export/items.csv" download>Download CSV</a> (for a spreadsheet) or <a href="/export/items.ndjson" download>NDJSON</a></p>`,
    'catalogue',
    account,
  )
}

/** What a person has just done that led to an item's page (the form's redirect says which). */
export type ItemPageNotice = 'created' | 'unchanged' | undefined

const NOTICES: Record<'created' | 'unchanged', string> = {
  created: 'Item stored. It is in the catalogue and will not change.',
  unchanged: 'This item was already in the catalogue, exactly as sent, so nothing new was stored.',
}

/** One item, every field, with its JSON a link away. */
export function itemPage(item: Item, notice: ItemPageNotice, account?: Account): string {
  return page(
    item.name,
    html`<h1 class="name">${item.name}</h1>
${notice !== undefined && html`<div class="notice success" role="status"><p>${NOTICES[notice]}</p></div>`}
<div class="card">
<dl class="item">
<dt>Name</dt><dd class="name">${item.name}</dd>
${SHOWN.map((field) => html`<dt>${LABELS[field]}</dt><dd${moneyClass(field)}>${shown(item[field], false)}</dd>
`)}</dl>
<div class="actions">
<a class="button" href="/">Add another item</a>
<a class="button secondary" href="${itemPath(item.name)}">View as JSON</a>
<a href="${CATALOGUE_PATH}">Back to the catalogue</a>
</div>
</div>`,
    undefined,
    account,
  )
}

/** 404 for people: no item has that name. */
export function itemNotFoundPage(name: string, account?: Account): string {
  return page(
    'Not found',
    html`<h1>Not found</h1>
<div class="notice error" role="alert"><p>No item is named “${visibleText(name)}”.</p></div>
<p class="actions"><a class="button" href="${cataloguePath({ q: name })}">Search the catalogue</a> <a href="/">Add it</a></p>`,
    undefined,
    account,
  )
}
