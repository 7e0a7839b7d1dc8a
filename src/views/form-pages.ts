// The answers of the HTML form besides its redirect to the stored item: name taken (409), invalid (422)
// and errors. The 409 and 422 pages show the entry form again, with what the person typed and each
// problem beside its field.
import type { FieldError } from '../http/errors.js'
import { itemPagePath } from '../items/item-path.js'
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, type ItemForm } from '../items/schemas.js'
import { csrfField, tokenOf, type Account } from './account.js'
import { html, type Html } from './html.js'
import { page } from './layout.js'

type FieldName = keyof ItemForm
export type FormValues = Partial<Record<FieldName, string>>

// The browser's own check of an amount: it never refuses one the server takes (money.ts), trailing zeros
// and exponents included, and refuses what plainly breaks a rule. With an exponent the server decides.
export const AMOUNT_PATTERN = String.raw`\+?(\d+(\.\d{0,2}0*)?|\.\d{1,2}0*)|-?(0+\.?0*|\.0+)|[+\-]?(\d+\.?\d*|\.\d+)[eE][+\-]?\d+`

/** Field messages name the field in lower case ("price must be ..."); beside the field it starts a sentence. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

interface Field {
  id: FieldName
  value: string | undefined
  /** A field error's text, or markup of the page's own (the 409's link). */
  problem: string | Html | undefined
  autofocus: boolean
}

/** The problem's message, placed just before the control it is about. */
function problemBefore(field: Field): Html | undefined {
  if (field.problem === undefined) return undefined
  return html`<p class="field-error" id="${field.id}-error"><span class="visually-hidden">Error: </span>${typeof field.problem === 'string' ? sentence(field.problem) : field.problem}</p>
`
}

/** The control's attributes that depend on what was typed and what is wrong with it. */
function state(field: Field, withValue: boolean): Html {
  const invalid = field.problem !== undefined
  const value = withValue && field.value !== undefined && field.value !== '' && html` value="${field.value}"`
  return html` aria-describedby="${invalid && `${field.id}-error `}${field.id}-hint"${invalid && html` aria-invalid="true"`}${field.autofocus && html` autofocus=""`}${value}`
}

/** A textarea's text follows its start tag; the parser drops one leading newline, so a typed one survives. */
function textareaText(field: Field): Html | undefined {
  return field.value === undefined || field.value === '' ? undefined : html`
${field.value}`
}

interface Control {
  /** Controls of the same row sit side by side. */
  row?: string
  render(field: Field): Html
}

// Every field of the form has a control (this fails to compile until a new one does), in the order the form
// shows them, which is the order the error summary lists them in.
const CONTROLS: Record<FieldName, Control> = {
  name: {
    render: (name) => html`<div class="field">
<label for="name">Name</label>
<p class="hint" id="name-hint">Unique; up to ${NAME_MAX_LENGTH} characters.</p>
${problemBefore(name)}<input id="name" name="name" type="text" required maxlength="${NAME_MAX_LENGTH}" autocomplete="off" spellcheck="false"${state(name, true)}>
</div>`,
  },
  price: {
    row: 'amounts',
    render: (price) => html`<div class="field">
<label for="price">Price</label>
<p class="hint" id="price-hint">For example 12.34; at most 2 decimals.</p>
${problemBefore(price)}<input id="price" name="price" type="text" required inputmode="decimal" pattern="${AMOUNT_PATTERN}" title="A number such as 12.34, with at most 2 decimals" autocomplete="off"${state(price, true)}>
</div>`,
  },
  tax: {
    row: 'amounts',
    render: (tax) => html`<div class="field">
<label for="tax">Tax <span class="optional">(optional)</span></label>
<p class="hint" id="tax-hint">Blank means 0; at most 2 decimals.</p>
${problemBefore(tax)}<input id="tax" name="tax" type="text" inputmode="decimal" pattern="${AMOUNT_PATTERN}" title="A number such as 1.50, with at most 2 decimals" autocomplete="off"${state(tax, true)}>
</div>`,
  },
  description: {
    render: (description) => html`<div class="field">
<label for="description">Description <span class="optional">(optional)</span></label>
<p class="hint" id="description-hint">Up to ${DESCRIPTION_MAX_LENGTH} characters.</p>
${problemBefore(description)}<textarea id="description" name="description" rows="4" maxlength="${DESCRIPTION_MAX_LENGTH}"${state(description, false)}>${textareaText(description)}</textarea>
</div>`,
  },
}

const FIELDS = Object.keys(CONTROLS) as FieldName[]

/** The controls in order; consecutive ones of the same row are wrapped together. */
function controls(field: (id: FieldName) => Field): Html[] {
  const groups: { row: string | undefined; ids: FieldName[] }[] = []
  for (const id of FIELDS) {
    const row = CONTROLS[id].row
    const last = groups.at(-1)
    if (row !== undefined && last?.row === row) last.ids.push(id)
    else groups.push({ row, ids: [id] })
  }
  return groups.map(({ row, ids }) => {
    const rendered = ids.map((id, i) => [i > 0 && '\n', CONTROLS[id].render(field(id))])
    return row === undefined ? html`${rendered}` : html`<div class="field-row">
${rendered}
</div>`
  })
}

/** The entry form, filled in with what was typed and what is wrong with it. */
function entryForm(field: (id: FieldName) => Field, account: Account): Html {
  return html`<p class="lead">Add an item to the catalogue. A stored item is never changed or replaced, so check it before you store it.</p>
<form method="post" action="/items/new/form/" class="card">
${csrfField(tokenOf(account))}${controls(field).map((part) => [part, '\n'])}<div class="actions">
<button type="submit">Store item</button>
</div>
</form>`
}

/** GET /: the empty entry form; with writes open it never changes while the service runs. */
export function entryPage(account?: Account): string {
  return page(
    'New item',
    html`<h1>New item</h1>
${entryForm((id) => ({ id, value: undefined, problem: undefined, autofocus: false }), account)}`,
    'form',
    account,
  )
}

function isField(name: string | undefined): name is FieldName {
  return (FIELDS as readonly (string | undefined)[]).includes(name)
}

/**
 * The entry form again with the typed values, a summary of the problems (each linking to its field) and each
 * one beside its field. The 422 and 409 pages share it, so both look and read alike.
 */
function formWithProblems(
  title: string,
  summaryHeading: string,
  values: FormValues,
  problems: Map<FieldName, { summary: string; beside: string | Html }>,
  account: Account,
  general: string[] = [],
): string {
  const firstInvalid = FIELDS.find((id) => problems.has(id))
  const field = (id: FieldName): Field => ({ id, value: values[id], problem: problems.get(id)?.beside, autofocus: id === firstInvalid })
  const summaryItems = [
    ...FIELDS.flatMap((id) => {
      const problem = problems.get(id)
      return problem === undefined ? [] : [html`<li><a href="#${id}">${sentence(problem.summary)}</a></li>`]
    }),
    ...general.map((msg) => html`<li>${sentence(msg)}</li>`),
  ]
  return page(
    title,
    html`
<h1>New item</h1>
<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${summaryHeading}</h2>
<ul>
${summaryItems.map((item, i) => [i > 0 && '\n', item])}
</ul>
</div>
${entryForm(field, account)}
`,
    'form',
    account,
  )
}

/** 422: the form again, with what the person typed and each problem beside its field. */
export function invalidPage(values: FormValues, errors: FieldError[], account?: Account): string {
  const problems = new Map<FieldName, { summary: string; beside: string }>()
  const general: string[] = []
  for (const error of errors) {
    const field = error.loc[1]
    if (error.loc[0] === 'body' && isField(field) && !problems.has(field)) problems.set(field, { summary: error.msg, beside: error.msg })
    else general.push(error.msg)
  }
  const heading = errors.length === 1 ? 'The item was not stored: one field needs a change' : `The item was not stored: ${errors.length} fields need a change`
  return formWithProblems('Error: New item', heading, values, problems, account, general)
}

/**
 * 409: the name is taken, by `storedName` itself or by a stored name that reads the same; the form again with
 * everything typed, so only the name needs a change. The summary says so in the 422's box; beside the name, a
 * link to the item that has it.
 */
export function conflictPage(name: string, values: FormValues, account?: Account, storedName = name): string {
  const link = html`(<a href="${itemPagePath(storedName)}">see it</a>)`
  const beside =
    storedName === name
      ? html`An item named “${name}” is already present ${link}. Stored items are never replaced, so choose another name.`
      : html`An item whose name reads the same is already present: “${storedName}” ${link}. Names that look alike are one name, so choose another name.`
  const summary = storedName === name ? `The name “${name}” is taken: choose another name` : `The name “${name}” reads the same as “${storedName}”, which is taken: choose another name`
  const problems = new Map([['name' as const, { summary, beside }]])
  return formWithProblems('Already present: New item', 'The item was not stored: the name is taken', { ...values, name }, problems, account)
}

/** Any other failure (413, 415, 503, 500): what happened, and the way back. */
export function errorPage(statusCode: number, detail: string, title = 'Not stored', account?: Account): string {
  return page(
    title,
    html`<h1>${title}</h1>
<div class="notice error" role="alert"><p>${sentence(detail)} (HTTP ${statusCode}).</p></div>
<p><a class="button" href="/">Back to the form</a></p>`,
    undefined,
    account,
  )
}
