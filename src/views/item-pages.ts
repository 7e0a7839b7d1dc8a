// The result pages of the HTML form: created (201), already present (409), invalid (422) and errors.
import type { FieldError } from '../http/errors.js'
import type { ItemRecord } from '../items/repository.js'
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH } from '../items/schemas.js'
import { formatCents } from '../money.js'
import { escapeHtml, page } from './html.js'

const BACK_LINK = '<p><a href="/">Back to the form</a></p>'

export function createdPage(item: ItemRecord): string {
  const rows: [string, string][] = [
    ['Name', item.name],
    ['Price', formatCents(item.priceCents)],
    ['Description', item.description ?? ''],
    ['Tax', item.taxCents === null ? '' : formatCents(item.taxCents)],
  ]
  const href = `/items/${encodeURIComponent(item.name)}/`
  return page(
    'Item stored',
    `<h1>Item stored</h1>
<dl class="item">
${rows.map(([label, value]) => `<dt>${label}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
<p><a href="${escapeHtml(href)}">This item as JSON</a></p>
${BACK_LINK}`,
  )
}

export function conflictPage(name: string): string {
  return page(
    'Already present',
    `<h1>Already present</h1>
<p class="error">An item named <strong>${escapeHtml(name)}</strong> is already present. Items are never replaced; choose another name.</p>
${BACK_LINK}`,
  )
}

export function errorPage(statusCode: number, detail: string): string {
  return page('Not stored', `<h1>Not stored</h1>\n<p class="error">${escapeHtml(detail)} (HTTP ${statusCode}).</p>\n${BACK_LINK}`)
}

export type FormValues = Partial<Record<'name' | 'price' | 'description' | 'tax', string>>

function field(
  id: keyof FormValues,
  label: string,
  value: string | undefined,
  error: string | undefined,
  attributes: string,
): string {
  const errorId = `${id}-error`
  const described = error === undefined ? '' : ` aria-invalid="true" aria-describedby="${errorId}"`
  const control =
    id === 'description'
      ? `<textarea id="${id}" name="${id}"${attributes}${described}>${escapeHtml(value ?? '')}</textarea>`
      : `<input id="${id}" name="${id}" value="${escapeHtml(value ?? '')}"${attributes}${described}>`
  const message = error === undefined ? '' : `\n<p class="field-error" id="${errorId}">${escapeHtml(error)}</p>`
  return `<div class="field">
<label for="${id}">${label}</label>
${control}${message}
</div>`
}

const MONEY_ATTRIBUTES = ' inputmode="decimal" pattern="\\d*(\\.\\d{0,2})?"'

/** The entry form again, with what the person typed and each problem beside its field. */
export function invalidPage(values: FormValues, errors: FieldError[]): string {
  const errorFor = (name: string): string | undefined => errors.find((e) => e.loc[1] === name)?.msg
  return page(
    'Please correct the form',
    `<h1>Please correct the form</h1>
<p class="error" role="alert">The item was not stored: ${errors.length === 1 ? 'one field needs' : `${errors.length} fields need`} a change.</p>
<form method="post" action="/items/new/form/">
${field('name', 'Name', values.name, errorFor('name'), ` required maxlength="${NAME_MAX_LENGTH}"`)}
${field('price', 'Price', values.price, errorFor('price'), ` required${MONEY_ATTRIBUTES}`)}
${field('description', 'Description', values.description, errorFor('description'), ` maxlength="${DESCRIPTION_MAX_LENGTH}"`)}
${field('tax', 'Tax', values.tax, errorFor('tax'), MONEY_ATTRIBUTES)}
<button type="submit">Store item</button>
</form>
${BACK_LINK}`,
  )
}
