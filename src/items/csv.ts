// The catalogue as CSV (RFC 4180, UTF-8): one column per field of the stored item under its API name, in the
// order stored-item.ts declares them (name,price,description,tax). Written by csv-stringify, read by csv-parse.
//
// Spreadsheet safety (OWASP, CSV injection): a text value that starts with = + - @ (or their full-width
// forms), a tab or a carriage return is written with a leading apostrophe, so a spreadsheet shows it as text
// instead of running it as a formula. A value that starts with an apostrophe gets one too, so the guard can be
// undone exactly: on import, one leading apostrophe is removed from a text value when a guarded character
// (or another apostrophe) follows it, and from no other value.
import { parse, type Options as ParseOptions, type Parser } from 'csv-parse'
import { stringify, type Options as StringifyOptions, type Stringifier } from 'csv-stringify'
import { formatCents } from '../money.js'
import { ITEM_FIELDS, type Item } from './stored-item.js'

/** The columns, in order: the name, then each field of the stored item under its API name. */
export const CSV_COLUMNS: readonly string[] = ['name', ...ITEM_FIELDS.map((field) => field.name)]

/** Columns that hold text (guarded), as opposed to amounts. */
const TEXT_COLUMNS = new Set(['name', ...ITEM_FIELDS.filter((field) => !field.money).map((field) => field.name)])
/** Columns a file must have: the name and the required fields. */
export const REQUIRED_COLUMNS: readonly string[] = ['name', 'price']

// What a spreadsheet may read as the start of a formula, and the guard itself.
const GUARDED_START = /^['=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/
const GUARD = "'"

/** A text value as written to CSV: with a leading apostrophe when it starts like a formula or with an apostrophe. */
export function guardCell(text: string): string {
  return GUARDED_START.test(text) ? GUARD + text : text
}

/** The inverse of guardCell: one leading apostrophe is dropped when what follows it would have been guarded. */
export function unguardCell(text: string): string {
  return text.startsWith(GUARD) && GUARDED_START.test(text.slice(1)) ? text.slice(1) : text
}

// RFC 4180: CRLF after every record, the last one included. An empty text ("") is written quoted, and no value
// (null) as nothing, so the two stay apart: csv-parse tells them apart on the way back in (readCell).
const STRINGIFY_OPTIONS: StringifyOptions = {
  record_delimiter: 'windows',
  // Said explicitly: with a record_delimiter set, csv-stringify would otherwise leave a lone LF or CR unquoted.
  quote_record_delimiter: true,
  eof: true,
  cast: { string: (value) => (value === '' ? { value, quoted_empty: true } : value) },
}

/** A stream that turns items into CSV text, the header first. */
export function csvWriter(): Stringifier {
  const writer = stringify({ ...STRINGIFY_OPTIONS })
  writer.write(CSV_COLUMNS)
  return writer
}

/** One item as a CSV record: text guarded, money with two decimals, null as an empty cell. */
export function csvRecord(item: Item): (string | null)[] {
  return [
    guardCell(item.name),
    ...ITEM_FIELDS.map(({ name }) => {
      const value = item[name]
      if (value === null) return null
      return typeof value === 'number' ? formatCents(value) : guardCell(value)
    }),
  ]
}

// Lenient where spreadsheets are: a quote inside an unquoted value is kept as text, rows may have fewer values
// than the header. Blank lines are kept (as rows with no values) so that row numbers match a spreadsheet's.
const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: false,
  // Far above any valid item (200 + 2000 characters); a record this large means a quote that never closes.
  max_record_size: 64 * 1024,
  // An empty value that was not quoted is no value (null); "" is an empty text.
  cast: (value, context) => (value === '' && !context.quoting ? null : value),
}

/** A CSV parser: each record an array of values, null for an empty unquoted one. */
export function csvReader(): Parser {
  return parse({ ...PARSE_OPTIONS })
}

export type CsvRecord = (string | null)[]

/** The header row, checked: which field each column holds; or what is wrong with it. */
export function readHeader(record: CsvRecord): { columns: string[] } | { problem: string } {
  const expected = `name,price and optionally description,tax in any order (${CSV_COLUMNS.join(',')})`
  const columns = record.map((cell) => (cell ?? '').trim().toLowerCase())
  const unknown = columns.find((column) => !CSV_COLUMNS.includes(column))
  if (unknown !== undefined) {
    const shown = unknown === '' ? 'an empty column name' : `the unknown column "${unknown.slice(0, 100)}"`
    return { problem: `The first row must be the header naming the columns: ${expected}; it has ${shown}. Nothing was stored` }
  }
  const repeated = columns.find((column, i) => columns.indexOf(column) !== i)
  if (repeated !== undefined) return { problem: `The header names the column "${repeated}" twice. Nothing was stored` }
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column))
  if (missing.length > 0) {
    return { problem: `The header has no ${missing.map((column) => `"${column}"`).join(' or ')} column; it must name ${expected}. Nothing was stored` }
  }
  return { columns }
}

/** A row as the JSON create's body: each column's value by name, unguarded; empty cells left out. */
export function rowBody(columns: readonly string[], record: CsvRecord): Record<string, string> | { problem: string } {
  if (record.length > columns.length) {
    return { problem: `The row has ${record.length} values but the header names ${columns.length} columns` }
  }
  const body: Record<string, string> = {}
  record.forEach((cell, i) => {
    const column = columns[i]
    if (cell === null || column === undefined) return
    body[column] = TEXT_COLUMNS.has(column) ? unguardCell(cell) : cell
  })
  return body
}

/** A row with no value at all (a blank line): no item, but it keeps its row number. */
export function isBlankRow(record: CsvRecord): boolean {
  return record.every((cell) => cell === null)
}
