// The result pages of the HTML form: created (201), name taken (409), invalid (422) and errors.
// The 409 and 422 pages are public/index.html's own form, filled in with what the person typed and each
// problem beside its field, so there is one copy of the form markup.
import type { FieldError } from '../http/errors.js'
import type { ItemRecord } from '../items/repository.js'
import { formatCents } from '../money.js'
import { escapeHtml, FORM_MAIN_HTML, page } from './html.js'

export type FieldName = 'name' | 'price' | 'description' | 'tax'
export type FormValues = Partial<Record<FieldName, string>>

// In the order the form shows them, which is the order the error summary lists them in.
const FIELDS: readonly FieldName[] = ['name', 'price', 'tax', 'description']

function controlPattern(id: FieldName): RegExp {
  return new RegExp(`<(input|textarea)\\b[^>]*\\bid="${id}"[^>]*>`)
}

for (const id of FIELDS) {
  if (!controlPattern(id).test(FORM_MAIN_HTML)) throw new Error(`public/index.html has no <input> or <textarea> with id="${id}"`)
}
if (!FORM_MAIN_HTML.includes('</h1>')) throw new Error('public/index.html has no <h1>')

/** Sets an attribute on one start tag; `value` must already be escaped. */
function setAttribute(tag: string, name: string, value: string): string {
  const attribute = ` ${name}="${value}"`
  const existing = new RegExp(`\\s${name}="[^"]*"`)
  return existing.test(tag) ? tag.replace(existing, () => attribute) : tag.replace(/\s*>$/, () => `${attribute}>`)
}

/** Field messages name the field in lower case ("price must be ..."); beside the field it starts a sentence. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function fillField(html: string, id: FieldName, value: string | undefined, error: string | undefined, focus: boolean): string {
  return html.replace(controlPattern(id), (tag: string, kind: string) => {
    let control = tag
    let message = ''
    if (error !== undefined) {
      const errorId = `${id}-error`
      const described = /\saria-describedby="([^"]*)"/.exec(control)?.[1]
      control = setAttribute(control, 'aria-invalid', 'true')
      control = setAttribute(control, 'aria-describedby', described === undefined ? errorId : `${errorId} ${described}`)
      if (focus) control = setAttribute(control, 'autofocus', '')
      message = `<p class="field-error" id="${errorId}"><span class="visually-hidden">Error: </span>${escapeHtml(sentence(error))}</p>\n`
    }
    if (value === undefined || value === '') return message + control
    // A textarea's text follows its start tag; the parser drops one leading newline, so a typed one survives.
    return kind === 'textarea'
      ? `${message}${control}\n${escapeHtml(value)}`
      : message + setAttribute(control, 'value', escapeHtml(value))
  })
}

function isField(name: string | undefined): name is FieldName {
  return (FIELDS as readonly (string | undefined)[]).includes(name)
}

/** The entry form again with the typed values, a summary of the problems and each one beside its field. */
function formWithProblems(title: string, summaryHeading: string, values: FormValues, errors: FieldError[]): string {
  const byField = new Map<FieldName, string>()
  const general: string[] = []
  for (const error of errors) {
    const field = error.loc[1]
    if (error.loc[0] === 'body' && isField(field) && !byField.has(field)) byField.set(field, error.msg)
    else general.push(error.msg)
  }
  const firstInvalid = FIELDS.find((id) => byField.has(id))
  let main = FORM_MAIN_HTML
  for (const id of FIELDS) main = fillField(main, id, values[id], byField.get(id), id === firstInvalid)

  const items = [
    ...FIELDS.flatMap((id) => {
      const msg = byField.get(id)
      return msg === undefined ? [] : [`<li><a href="#${id}">${escapeHtml(sentence(msg))}</a></li>`]
    }),
    ...general.map((msg) => `<li>${escapeHtml(sentence(msg))}</li>`),
  ]
  const summary = `<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${escapeHtml(summaryHeading)}</h2>
<ul>
${items.join('\n')}
</ul>
</div>`
  main = main.replace('</h1>', () => `</h1>\n${summary}`)
  return page(title, main)
}

/** 422: the form again, with what the person typed and each problem beside its field. */
export function invalidPage(values: FormValues, errors: FieldError[]): string {
  const heading = errors.length === 1 ? 'The item was not stored: one field needs a change' : `The item was not stored: ${errors.length} fields need a change`
  return formWithProblems('Error: New item', heading, values, errors)
}

/** 409: the name is taken; the form again with everything typed, so only the name needs a change. */
export function conflictPage(name: string, values: FormValues): string {
  const msg = `An item named "${name}" is already present. Stored items are never replaced, so choose another name.`
  return formWithProblems('Already present', 'An item with that name is already present', { ...values, name }, [{ loc: ['body', 'name'], msg, type: 'duplicate' }])
}

function moneyCell(cents: number | null): string {
  return cents === null ? '<span class="empty">none</span>' : escapeHtml(formatCents(cents))
}

/** 201: the stored item, money with two decimals; 200 (created false): the same item was already there. */
export function createdPage(item: ItemRecord, created = true): string {
  const description = item.description === null || item.description === '' ? '<span class="empty">none</span>' : escapeHtml(item.description)
  const href = `/items/${encodeURIComponent(item.name)}/`
  const [title, notice] = created
    ? ['Item stored', 'The item is in the catalogue. It will not change.']
    : ['Item already stored', 'This item was already in the catalogue, exactly as sent, so nothing new was stored.']
  return page(
    title,
    `<h1>${title}</h1>
<div class="notice" role="status"><p>${notice}</p></div>
<div class="card">
<dl class="item">
<dt>Name</dt><dd class="name">${escapeHtml(item.name)}</dd>
<dt>Price</dt><dd class="money">${moneyCell(item.priceCents)}</dd>
<dt>Tax</dt><dd class="money">${moneyCell(item.taxCents)}</dd>
<dt>Description</dt><dd>${description}</dd>
</dl>
<div class="actions">
<a class="button" href="/">Add another item</a>
<a class="button secondary" href="${escapeHtml(href)}">View as JSON</a>
</div>
</div>`,
  )
}

/** Any other failure (413, 415, 503, 500): what happened, and the way back. */
export function errorPage(statusCode: number, detail: string): string {
  return page(
    'Not stored',
    `<h1>Not stored</h1>
<div class="notice error" role="alert"><p>${escapeHtml(sentence(detail))} (HTTP ${statusCode}).</p></div>
<p><a class="button" href="/">Back to the form</a></p>`,
  )
}
