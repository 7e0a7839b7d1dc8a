// The import page with JavaScript on: sends the chosen file to /import/stream and shows progress, the counts and
// the rows not imported as the result lines arrive; then offers all of them as a download. Without JavaScript
// the form posts the file and the server answers a results page instead.
const form = document.getElementById('import-form')
const progress = document.getElementById('import-progress')
const bar = document.getElementById('import-bar')
const status = document.getElementById('import-status')
const results = document.getElementById('import-results')

const LABELS = {
  created: 'created',
  unchanged: 'already there, unchanged',
  conflict: 'name taken by another item',
  invalid: 'invalid',
  unknown: 'outcome unknown',
  skipped: 'not sent',
}
const LISTED_ROWS = 1000

/** An element with text content (never markup from the results). */
function element(name, text, attributes = {}) {
  const node = document.createElement(name)
  if (text !== undefined) node.textContent = text
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value)
  return node
}

function reason(detail) {
  if (detail === null || detail === undefined) return ''
  return typeof detail === 'string' ? detail : detail.map((problem) => problem.msg).join('; ')
}

function countsText(counts) {
  return Object.entries(LABELS)
    .filter(([kind]) => counts[kind] > 0)
    .map(([kind, label]) => `${counts[kind]} ${label}`)
    .join(', ')
}

function showProblem(text) {
  progress.hidden = true
  results.replaceChildren(element('div', undefined, { class: 'notice error', role: 'alert' }))
  results.firstChild.append(element('p', text))
}

function showResults(file, counts, notImported, lines) {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0)
  const heading = element('h2', 'Import results', { id: 'results-title' })
  const notice = element('div', undefined, { class: `notice ${notImported.length === 0 ? 'success' : 'info'}`, role: 'status' })
  notice.append(element('p', `${file.name}: ${total} rows, ${counts.created} created.`))
  const list = element('ul', undefined, { class: 'import-counts' })
  for (const [kind, label] of Object.entries(LABELS)) {
    const item = element('li')
    item.append(element('strong', String(counts[kind])), ` ${label}`)
    list.append(item)
  }
  const parts = [heading, notice, list]
  if (notImported.length > 0) {
    parts.push(element('h3', 'Rows not imported', { id: 'not-imported' }))
    const table = element('table', undefined, { class: 'import-rows', 'aria-labelledby': 'not-imported' })
    const head = element('tr')
    for (const title of ['Line', 'Name', 'Reason']) head.append(element('th', title, { scope: 'col' }))
    table.append(element('thead'), element('tbody'))
    table.tHead.append(head)
    for (const row of notImported.slice(0, LISTED_ROWS)) {
      const tr = element('tr')
      tr.append(element('td', String(row.line)), element('td', row.name ?? ''), element('td', `${row.result}: ${reason(row.detail)}`))
      table.tBodies[0].append(tr)
    }
    parts.push(table)
    if (notImported.length > LISTED_ROWS) parts.push(element('p', `And ${notImported.length - LISTED_ROWS} more rows not imported: see the full results.`))
  }
  const link = element('a', 'Download the full results', { class: 'button secondary', download: 'import-results.ndjson' })
  link.href = URL.createObjectURL(new Blob(lines, { type: 'application/x-ndjson' }))
  const download = element('p')
  download.append(link)
  parts.push(download)
  results.replaceChildren(...parts)
  heading.tabIndex = -1
  heading.focus()
}

async function importFile(file) {
  const type = /\.(ndjson|jsonl)$/i.test(file.name) || file.type === 'application/x-ndjson' ? 'application/x-ndjson' : 'text/csv'
  const headers = { 'content-type': type }
  const token = form.elements.namedItem('_csrf')
  if (token !== null) headers['csrf-token'] = token.value
  progress.hidden = false
  bar.removeAttribute('value')
  status.textContent = `Sending ${file.name}…`
  results.replaceChildren()
  const response = await fetch(form.dataset.stream, { method: 'POST', body: file, headers })
  if (!response.ok || response.body === null) {
    let detail = `The import was refused (HTTP ${response.status})`
    try {
      detail = (await response.json()).detail ?? detail
    } catch {
      // not JSON: keep the status
    }
    showProblem(typeof detail === 'string' ? detail : reason(detail))
    return
  }
  const rows = Number(response.headers.get('import-rows'))
  bar.max = Math.max(rows, 1)
  bar.value = 0
  const counts = Object.fromEntries(Object.keys(LABELS).map((kind) => [kind, 0]))
  const notImported = []
  const lines = []
  let answered = 0
  let pending = ''
  const decoder = new TextDecoder()
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    pending += done ? decoder.decode() : decoder.decode(value, { stream: true })
    const complete = pending.split('\n')
    pending = complete.pop() ?? ''
    for (const line of complete) {
      if (line === '') continue
      lines.push(`${line}\n`)
      const result = JSON.parse(line)
      if (result.summary !== undefined) continue
      answered++
      counts[result.result]++
      if (result.result !== 'created' && result.result !== 'unchanged') notImported.push(result)
    }
    bar.value = answered
    status.textContent = `${answered} of ${rows} rows: ${countsText(counts) || 'starting'}`
    if (done) break
  }
  status.textContent = `Done: ${answered} of ${rows} rows.`
  bar.value = bar.max
  showResults(file, counts, notImported, lines)
}

form.addEventListener('submit', (event) => {
  const file = form.elements.namedItem('file').files[0]
  if (file === undefined || typeof fetch !== 'function' || typeof ReadableStream !== 'function') return
  event.preventDefault()
  const button = form.querySelector('button[type="submit"]')
  button.disabled = true
  importFile(file)
    .catch((error) => showProblem(`The import stopped: ${error.message}. Rows answered before it stopped were handled; send the same file again to finish (rows already stored are left as they are).`))
    .finally(() => {
      button.disabled = false
    })
})
