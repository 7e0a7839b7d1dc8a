// Imports and exports as a client sees them: a file sent to POST /import/items and its result lines read back,
// and generated catalogues to send (the tests and the bench use the same).
import { send, type Answer, type SendOptions, type Target } from './http.js'

export const CSV_TYPE = { 'content-type': 'text/csv' }
export const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' }

export interface ResultLine {
  line: number
  name: string | null
  result: 'created' | 'unchanged' | 'conflict' | 'invalid' | 'unknown' | 'skipped'
  detail: unknown
}

export type Summary = Record<ResultLine['result'], number>

export interface ImportAnswer {
  answer: Answer
  /** One per data row, in file order (empty when the file was refused whole). */
  rows: ResultLine[]
  summary: Summary | undefined
}

/** The result lines of an import answer: the rows, then the summary. */
export function resultLines(text: string): { rows: ResultLine[]; summary: Summary | undefined } {
  const rows: ResultLine[] = []
  let summary: Summary | undefined
  for (const line of text.split('\n')) {
    if (line === '') continue
    const parsed = JSON.parse(line) as ResultLine | { summary: Summary }
    if ('summary' in parsed) summary = parsed.summary
    else rows.push(parsed)
  }
  return { rows, summary }
}

/** Sends `body` to POST /import/items (or `path`) as `headers` say and reads every result line. */
export async function importFile(
  target: Target,
  body: string | Buffer,
  headers: Record<string, string> = CSV_TYPE,
  { path = '/import/items', ...options }: SendOptions & { path?: string } = {},
): Promise<ImportAnswer> {
  const answer = await send(target, { method: 'POST', path, headers, body }, { timeoutMs: 120_000, ...options })
  const parsed = answer.status === 200 ? resultLines(answer.text) : { rows: [], summary: undefined }
  return { answer, ...parsed }
}

/** A generated catalogue row: name gen-<n> zero-padded, a price from n, a description, a tax on every other row. */
export function generatedItem(n: number): { name: string; price: string; description: string; tax: string | null } {
  return { name: `gen-${String(n).padStart(7, '0')}`, price: `${1 + (n % 100_000)}.${String(n % 100).padStart(2, '0')}`, description: `Generated item ${n}`, tax: n % 2 === 0 ? null : `${n % 1000}.05` }
}

/** A CSV file of `count` generated rows (header name,price,description,tax; LF line ends). */
export function generatedCsv(count: number, from = 0): string {
  const lines = ['name,price,description,tax']
  for (let n = from; n < from + count; n++) {
    const item = generatedItem(n)
    lines.push(`${item.name},${item.price},${item.description},${item.tax ?? ''}`)
  }
  return `${lines.join('\n')}\n`
}
