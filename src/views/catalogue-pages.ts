// The pages for reading the catalogue: the list (a page at a time, with a search by words, a price range,
// the order, and the start of the name) and one item. Plain links and a GET form, so they work without
// JavaScript.
import type { SortOrder } from '../items/find.js'
import { CATALOGUE_PATH, itemPagePath, itemPath } from '../items/item-path.js'
import { NAME_MAX_LENGTH } from '../items/schemas.js'
import { MONEY_FIELDS, type Item, type ItemField } from '../items/stored-item.js'
import { formatCents } from '../money.js'
import { AMOUNT_PATTERN } from './form-pages.js'
import type { Account } from './account.js'
import { html, type Html } from './html.js'
import { page } from './layout.js'
import { visibleText } from './visible-text.js'

/** What the catalogue is asked for, as typed (the form shows it again, the links keep it). */
export interface CatalogueSearch {
  q?: string | undefined
  prefix?: string | undefined
  min_price?: string | undefined
  max_price?: string | undefined
  sort?: string | undefined
}

const SEARCH_FIELDS = ['q', 'prefix', 'min_price', 'max_price', 'sort'] as const
export type SearchField = (typeof SEARCH_FIELDS)[number]

/** The catalogue's URL for a search and a cursor; empty parts are left out, so the first page is plain. */
function cataloguePath(search: CatalogueSearch, cursor: { after?: string; before?: string } = {}): string {
  const params = new URLSearchParams()
  for (const field of SEARCH_FIELDS) {
    const value = search[field]
    if (value !== undefined && value !== '' && !(field === 'sort' && value === 'name')) params.set(field, value)
  }
  if (cursor.after !== undefined) params.set('after', cursor.after)
  if (cursor.before !== undefined) params.set('before', cursor.before)
  const query = params.toString()
  return query === '' ? CATALOGUE_PATH : `${CATALOGUE_PATH}?${query}`
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

const ORDERS: [SortOrder, string][] = [
  ['name', 'Name, A to Z'],
  ['price', 'Price, lowest first'],
  ['-price', 'Price, highest first'],
]

/** What is wrong with each control of the search form, said beside it. */
export type SearchProblems = Partial<Record<SearchField, string>>

/** A control's problem, just before it, and the attributes that tie them together. */
function problemOf(id: SearchField, problems: SearchProblems, hint?: string): { before: Html | false; attributes: Html } {
  const problem = problems[id]
  const described = [problem !== undefined && `${id}-error`, hint].filter((part) => part !== false && part !== undefined).join(' ')
  return {
    before: problem !== undefined && html`<p class="field-error" id="${id}-error"><span class="visually-hidden">Error: </span>${problem}</p>
`,
    attributes: html`${described !== '' && html` aria-describedby="${described}"`}${problem !== undefined && html` aria-invalid="true"`}`,
  }
}

/** The search form: words, a price range, the order; each problem beside its control, what was typed kept. */
function searchForm(search: CatalogueSearch, problems: SearchProblems): Html {
  const first = SEARCH_FIELDS.find((field) => problems[field] !== undefined)
  const focus = (id: SearchField): Html | false => first === id && html` autofocus=""`
  const q = problemOf('q', problems, 'q-hint')
  const min = problemOf('min_price', problems)
  const max = problemOf('max_price', problems)
  const sort = problemOf('sort', problems)
  const selected = ORDERS.some(([value]) => value === search.sort) ? search.sort : 'name'
  return html`<form method="get" action="${CATALOGUE_PATH}" class="search" role="search" aria-label="Find items">
<div class="field">
<label for="q">Find items by words in their name or description</label>
${q.before}<div class="search-row">
<input id="q" name="q" type="search" value="${search.q ?? ''}" maxlength="${NAME_MAX_LENGTH}" autocomplete="off" spellcheck="false"${q.attributes}${focus('q')}>
<button type="submit">Search</button>
</div>
<p class="hint" id="q-hint">Case and accents do not count: “cafe” finds “Café”. The last word may be the start of one: “buck” finds “Bucket”.</p>
</div>
<div class="search-options">
<fieldset class="price-range">
<legend>Price</legend>
<div class="field">
<label for="min_price">From</label>
${min.before}<input id="min_price" name="min_price" type="text" inputmode="decimal" pattern="${AMOUNT_PATTERN}" title="A number such as 12.34, with at most 2 decimals" value="${search.min_price ?? ''}" autocomplete="off"${min.attributes}${focus('min_price')}>
</div>
<div class="field">
<label for="max_price">To</label>
${max.before}<input id="max_price" name="max_price" type="text" inputmode="decimal" pattern="${AMOUNT_PATTERN}" title="A number such as 12.34, with at most 2 decimals" value="${search.max_price ?? ''}" autocomplete="off"${max.attributes}${focus('max_price')}>
</div>
</fieldset>
<div class="field">
<label for="sort">Order</label>
${sort.before}<select id="sort" name="sort"${sort.attributes}${focus('sort')}>
${ORDERS.map(([value, label]) => html`<option value="${value}"${value === selected && html` selected=""`}>${label}</option>
`)}</select>
</div>
</div>
${search.prefix !== undefined && search.prefix !== '' && html`<input type="hidden" name="prefix" value="${search.prefix}">
`}</form>`
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
  /** What was asked for, as typed. */
  search: CatalogueSearch
  /** What is wrong with the search, beside each control; `general` for what belongs to none. Nothing is listed then. */
  problems?: SearchProblems
  general?: string[]
  /** Where this page starts (the previous page's cursor), if it is not the first. */
  after?: string | undefined
  /** Where this page ends (the next page's first item), when it was reached by "Previous page". */
  before?: string | undefined
  /** The cursor of the following page, null on the last. */
  next: string | null
  /** The cursor of the preceding page (this page's first item), null on the first. */
  previous?: string | null
  /** The position of this page's first item among all found, from 1. */
  start?: number
  /** How many items were found in all. */
  total?: number
}

function priceRange(min: string | undefined, max: string | undefined): string | undefined {
  const from = min === undefined || min === '' ? undefined : min
  const to = max === undefined || max === '' ? undefined : max
  if (from !== undefined && to !== undefined) return `priced ${from} to ${to}`
  if (from !== undefined) return `priced from ${from}`
  return to === undefined ? undefined : `priced up to ${to}`
}

/** How a search is said in the heading: "Items matching “rusty”, priced 1.00 to 5.00". */
function searchTitle(search: CatalogueSearch): string | undefined {
  const parts = [
    search.q !== undefined && search.q !== '' && `matching “${visibleText(search.q)}”`,
    search.prefix !== undefined && search.prefix !== '' && `whose name starts with “${visibleText(search.prefix)}”`,
    priceRange(search.min_price, search.max_price),
  ].filter((part) => part !== false && part !== undefined)
  return parts.length === 0 ? undefined : `Items ${parts.join(', ')}`
}

/** The catalogue: a page of items in the order asked for, the search form, where this page is, and links to move. */
export function cataloguePage({ items, search, problems = {}, general = [], after, before, next, previous = null, start = 1, total }: CatalogueView, account?: Account): string {
  const invalid = Object.keys(problems).length > 0 || general.length > 0
  const searched = invalid ? undefined : searchTitle(search)
  const title = searched ?? 'Catalogue'
  let body: Html
  if (invalid) {
    body = html`<p><a href="${CATALOGUE_PATH}">Show all items</a></p>`
  } else if (items.length > 0) {
    body = table(items)
  } else if (after !== undefined || before !== undefined) {
    body = html`<p class="notice info">No more items here.</p>`
  } else if (searched !== undefined) {
    body = html`<p class="notice info">No item matches. <a href="${CATALOGUE_PATH}">Show all items</a></p>`
  } else {
    body = html`<p class="notice info">The catalogue is empty. <a href="/">Add the first item</a></p>`
  }
  const onFirstPage = previous === null && after === undefined && before === undefined
  const pager = [
    !onFirstPage && html`<a class="button secondary" href="${cataloguePath(search)}">First page</a>`,
    previous !== null && html`<a class="button secondary" rel="prev" href="${cataloguePath(search, { before: previous })}">Previous page</a>`,
    next !== null && html`<a class="button" rel="next" href="${cataloguePath(search, { after: next })}">Next page</a>`,
  ].filter((link) => link !== false)
  const end = start + items.length - 1
  const range = items.length === 1 ? `Item ${start}` : `Items ${start}–${end}`
  const position = items.length > 0 && html`<p class="position" id="position">${total === undefined ? range : `${range} of ${total}`}</p>`
  return page(
    invalid ? `Error: ${title}` : title,
    html`<h1>${title}</h1>
${general.length > 0 && html`<div class="notice error" role="alert">${general.map((msg) => html`<p>${msg}</p>`)}</div>
`}${searchForm(search, problems)}
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
