// The import page: a file input that works without JavaScript (the form posts the file and the answer is a
// results page), and with it (public/import.js sends the file to /import/stream and shows progress and the
// results as the result lines arrive). Both show the counts and a table of the rows not imported.
import type { FieldError } from '../http/errors.js'
import { csrfField, tokenOf, type Account } from './account.js'
import { html, type Html } from './html.js'
import { page } from './layout.js'

/** What the results page shows: the counts, the rows not imported, and the full result lines when small enough. */
export interface ImportOutcome {
  summary: Record<'created' | 'unchanged' | 'conflict' | 'invalid' | 'unknown' | 'skipped', number>
  notImported: { line: number; name: string | null; result: string; detail: string | FieldError[] | null }[]
  /** Rows not imported beyond those listed. */
  notListed: number
  /** All result lines (NDJSON), or undefined when too large to put in the page. */
  results: string | undefined
}

const COUNT_LABELS: [keyof ImportOutcome['summary'], string][] = [
  ['created', 'created'],
  ['unchanged', 'already there, unchanged'],
  ['conflict', 'name taken by another item'],
  ['invalid', 'invalid'],
  ['unknown', 'outcome unknown'],
  ['skipped', 'not sent'],
]

/** A result's detail as one sentence for people. */
export function reasonText(detail: string | FieldError[] | null): string {
  if (detail === null) return ''
  return typeof detail === 'string' ? detail : detail.map((problem) => problem.msg).join('; ')
}

function intro(): Html {
  return html`<p class="lead">Add many items at once from a file: CSV with a header row naming the columns
(<code>name,price,description,tax</code>; description and tax may be left out), or NDJSON with one item’s JSON a line.
Each row is stored like an item entered in the form; a row that is already in the catalogue exactly as in the file
is left as it is, so importing the same file again changes nothing. At most 64 MiB and 200 000 rows.</p>`
}

function form(problem: string | undefined, account: Account): Html {
  return html`<form method="post" action="/import/" enctype="multipart/form-data" class="card" id="import-form" data-stream="/import/stream">
${csrfField(tokenOf(account))}
<div class="field">
<label for="file">File to import (.csv or .ndjson)</label>
${problem !== undefined && html`<p class="field-error" id="file-error"><span class="visually-hidden">Error: </span>${problem}</p>`}
<input id="file" name="file" type="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" required${problem !== undefined && html` aria-invalid="true" aria-describedby="file-error"`}>
</div>
<div class="actions">
<button type="submit">Import</button>
</div>
</form>`
}

/** GET /import/, or the form again with what was wrong with the file (`problem`). */
export function importPage(account: Account, problem?: string): string {
  return page(
    problem === undefined ? 'Import' : 'Error: Import',
    html`<h1>Import items</h1>
${intro()}
${form(problem, account)}
<section id="import-progress" class="card" hidden aria-labelledby="import-progress-title">
<h2 id="import-progress-title">Importing</h2>
<progress id="import-bar" max="1" value="0" aria-labelledby="import-progress-title"></progress>
<p id="import-status" role="status"></p>
</section>
<div id="import-results"></div>
<p>To take the catalogue out: <a href="/export/items.csv">Download CSV</a> or <a href="/export/items.ndjson">NDJSON</a>.</p>
<script type="module" src="/import.js"></script>`,
    'import',
    account,
  )
}

/** POST /import/ without JavaScript: the counts, the rows not imported and the full results to download. */
export function importResultsPage(filename: string, outcome: ImportOutcome, account: Account): string {
  const { summary, notImported, notListed, results } = outcome
  const total = Object.values(summary).reduce((sum, count) => sum + count, 0)
  const download =
    results === undefined
      ? html`<p>The full results are too long for this page; the import page with JavaScript on, or the API (<code>POST /import/items</code>), gives them.</p>`
      : html`<p><a class="button secondary" download="import-results.ndjson" href="data:application/x-ndjson;charset=utf-8;base64,${Buffer.from(results).toString('base64')}">Download the full results</a></p>`
  return page(
    'Import results',
    html`<h1>Import results</h1>
<div class="notice ${notImported.length === 0 ? 'success' : 'info'}" role="status"><p>${filename}: ${total} rows, ${summary.created} created.</p></div>
<ul class="import-counts">
${COUNT_LABELS.map(([kind, label]) => html`<li><strong>${summary[kind]}</strong> ${label}</li>
`)}</ul>
${notImported.length > 0 && rowsTable(notImported, notListed)}
${download}
<p class="actions"><a class="button" href="/import/">Import another file</a> <a href="/catalogue/">See the catalogue</a></p>`,
    'import',
    account,
  )
}

function rowsTable(rows: ImportOutcome['notImported'], notListed: number): Html {
  return html`<h2 id="not-imported">Rows not imported</h2>
<table class="import-rows" aria-labelledby="not-imported">
<thead><tr><th scope="col">Line</th><th scope="col">Name</th><th scope="col">Reason</th></tr></thead>
<tbody>
${rows.map((row) => html`<tr><td>${row.line}</td><td>${row.name ?? ''}</td><td>${row.result}: ${reasonText(row.detail)}</td></tr>
`)}</tbody>
</table>
${notListed > 0 && html`<p>And ${notListed} more rows not imported: see the full results.</p>`}`
}
