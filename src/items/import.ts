// Importing a file of items (CSV or NDJSON): every data row is a create with the JSON create's own rules
// (its schema and validator, input.ts's mapping, the repository's document and write token), answered by one
// result line per row in input order, then a summary.
//
// The file is received whole first, into a temporary file, and checked as a whole: size, UTF-8, the header,
// CSV syntax, the row count. A file unusable as a whole is refused before any row is stored; rows are then
// read back from the temporary file a batch at a time, so memory stays flat whatever the file's size.
import type { FastifyRequest } from 'fastify'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { randomUUID } from 'node:crypto'
import { BODY_LIMIT_BYTES, BODY_LIMIT_TEXT } from '../http/body-limit.js'
import { HttpError, toFieldErrors, type FieldError } from '../http/errors.js'
import { jsonBodyParser } from '../http/json-body.js'
import { csvReader, isBlankRow, readHeader, rowBody, type CsvRecord } from './csv.js'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError } from './errors.js'
import { fromJson } from './input.js'
import { normalizeNameIn } from './names.js'
import type { ItemsRepository } from './repository.js'
import { ItemCreate } from './schemas.js'
import { MONEY_FIELDS, type Item } from './stored-item.js'

export type ImportFormat = 'csv' | 'ndjson'

/** The media types an import takes, and the format of each. */
export const IMPORT_TYPES: Readonly<Record<string, ImportFormat>> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' }

const MIB = 2 ** 20
/** The largest file one import takes. */
export const IMPORT_MAX_BYTES = 64 * MIB
/** The most data rows one import takes. */
export const IMPORT_MAX_ROWS = 200_000
export const IMPORT_LIMITS_TEXT = `${IMPORT_MAX_BYTES / MIB} MiB and ${IMPORT_MAX_ROWS.toLocaleString('en')} rows`
/** Rows sent to the database in one insert. */
const BATCH_ROWS = 500
/**
 * Rows in one batch once most of a batch's names were taken (a file sent again): from then on each batch's
 * stored names are read before the rest is inserted, a read that scans the whole collection on FerretDB, so
 * fewer, larger batches.
 */
const TAKEN_BATCH_ROWS = 5_000
/** Batches in flight at once: the next one is read and checked while the database stores the last. */
const BATCHES_IN_FLIGHT = 2

export const RESULTS = ['created', 'unchanged', 'conflict', 'invalid', 'unknown', 'skipped'] as const
export type RowResultKind = (typeof RESULTS)[number]

/** One result line: the row's line in the file, its name (as stored, or as sent when invalid), what happened. */
export interface RowResult {
  line: number
  name: string | null
  result: RowResultKind
  detail: string | FieldError[] | null
}

export type Summary = Record<RowResultKind, number>

export interface ReceivedFile {
  path: string
  format: ImportFormat
  /** Data rows (blank ones not counted). */
  rows: number
  /** CSV: the column of each position, from the header. */
  columns: string[]
  /** Removes the temporary file. */
  dispose(): Promise<void>
}

const NOTHING_STORED = 'Nothing was stored'

/** The body's bytes as text, refused when over the byte limit or not UTF-8; each chunk is also written to `out`. */
async function* checkedText(body: AsyncIterable<Buffer>, out: NodeJS.WritableStream): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let bytes = 0
  for await (const chunk of body) {
    bytes += chunk.length
    if (bytes > IMPORT_MAX_BYTES) throw new HttpError(413, `The file is larger than ${IMPORT_MAX_BYTES / MIB} MiB; split it into smaller files. ${NOTHING_STORED}`)
    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch {
      throw new HttpError(400, `The file is not UTF-8 text (an invalid byte near byte ${bytes - chunk.length + 1}); save it as UTF-8. ${NOTHING_STORED}`)
    }
    if (!out.write(chunk)) await once(out, 'drain')
    yield text
  }
  try {
    yield decoder.decode()
  } catch {
    throw new HttpError(400, `The file is not UTF-8 text (it ends inside a character); save it as UTF-8. ${NOTHING_STORED}`)
  }
}

function tooManyRows(): HttpError {
  return new HttpError(413, `The file has more than ${IMPORT_MAX_ROWS.toLocaleString('en')} rows; split it into smaller files. ${NOTHING_STORED}`)
}

/** Whole-file checks of a CSV file: the header, the syntax, the row count. */
async function checkCsv(text: AsyncIterable<string>): Promise<{ rows: number; columns: string[] }> {
  const reader = csvReader()
  const feeding = pipeline(Readable.from(text), reader)
  let columns: string[] | undefined
  let rows = 0
  let records = 0
  try {
    for await (const record of reader as AsyncIterable<CsvRecord>) {
      records++
      if (columns === undefined) {
        const header = readHeader(record)
        if ('problem' in header) throw new HttpError(422, header.problem)
        columns = header.columns
      } else if (!isBlankRow(record) && ++rows > IMPORT_MAX_ROWS) {
        throw tooManyRows()
      }
    }
    await feeding
  } catch (err) {
    feeding.catch(() => undefined)
    if (err instanceof HttpError) throw err
    throw csvSyntaxError(err, records)
  }
  if (columns === undefined) throw new HttpError(422, `The file is empty: its first row must be the header (name,price,description,tax). ${NOTHING_STORED}`)
  return { rows, columns }
}

/** csv-parse's refusal, said with the row it is in. */
function csvSyntaxError(err: unknown, recordsBefore: number): HttpError {
  const code = (err as { code?: unknown }).code
  const row = recordsBefore + 1
  if (code === 'CSV_QUOTE_NOT_CLOSED' || code === 'CSV_MAX_RECORD_SIZE') {
    return new HttpError(422, `Row ${row} opens a quoted value ("...) that is never closed, so the rest of the file would be part of it; close the quote or quote the value's own quotes as "". ${NOTHING_STORED}`)
  }
  const message = err instanceof Error ? err.message : 'unreadable'
  return new HttpError(422, `The file is not valid CSV at row ${row}: ${message}. ${NOTHING_STORED}`)
}

/** Whole-file checks of an NDJSON file: the row count (each line is checked as a row later). */
async function checkNdjson(text: AsyncIterable<string>): Promise<{ rows: number; columns: string[] }> {
  let rows = 0
  for await (const line of createInterface({ input: Readable.from(text), crlfDelay: Infinity })) {
    if (line.trim() !== '' && ++rows > IMPORT_MAX_ROWS) throw tooManyRows()
  }
  return { rows, columns: [] }
}

/**
 * Reads the whole body into a temporary file and checks it as a whole. Throws HttpError (413, 400, 422) for a
 * file refused whole; nothing is stored then, and nothing is left behind.
 */
export async function receiveFile(body: AsyncIterable<Buffer>, format: ImportFormat): Promise<ReceivedFile> {
  const path = join(tmpdir(), `item-store-import-${randomUUID()}.${format}`)
  const dispose = (): Promise<void> => rm(path, { force: true })
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 })
  // Reported by finished() below; a write after a refusal destroyed the stream is no one's concern.
  out.on('error', () => undefined)
  try {
    const text = checkedText(body, out)
    const checked = format === 'csv' ? await checkCsv(text) : await checkNdjson(text)
    out.end()
    await finished(out)
    return { path, format, ...checked, dispose }
  } catch (err) {
    out.destroy()
    await dispose()
    throw err
  }
}

/** A row read back: its line, and the body a create would get, or why it cannot be one. */
type Row = { line: number; body: unknown } | { line: number; name: string | null; problem: string | FieldError[] }

async function* csvRows(file: ReceivedFile): AsyncGenerator<Row> {
  const reader = csvReader()
  const feeding = pipeline(createReadStream(file.path), reader)
  feeding.catch(() => undefined)
  let line = 0
  for await (const record of reader as AsyncIterable<CsvRecord>) {
    line++
    if (line === 1 || isBlankRow(record)) continue
    const body = rowBody(file.columns, record)
    if ('problem' in body) {
      const name = record[file.columns.indexOf('name')]
      yield { line, name: typeof name === 'string' ? name : null, problem: body.problem }
    } else {
      yield { line, body }
    }
  }
  await feeding
}

// The JSON create's own parser: money numbers kept as written.
const parseJsonLine = jsonBodyParser(MONEY_FIELDS)

async function* ndjsonRows(file: ReceivedFile): AsyncGenerator<Row> {
  let line = 0
  for await (const text of createInterface({ input: createReadStream(file.path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    line++
    const json = line === 1 ? text.replace(/^\uFEFF/, '') : text
    if (json.trim() === '') continue
    // Each line is the body of POST /items/new/: its limit and its parser.
    if (Buffer.byteLength(json) > BODY_LIMIT_BYTES) {
      yield { line, name: null, problem: `The line is larger than ${BODY_LIMIT_TEXT}, the limit of one item's JSON` }
      continue
    }
    try {
      yield { line, body: parseJsonLine(Buffer.from(json)) }
    } catch (err) {
      yield { line, name: null, problem: err instanceof HttpError ? err.detail : 'The line is not valid JSON' }
    }
  }
}

/** A row's body checked as the JSON create checks it: the item, or its problems with the create's 422 detail. */
export type RowCheck = (body: unknown) => { item: Item } | { problem: FieldError[] }

/** The JSON create's rules, compiled once per route by Fastify's own validator compiler (the app's Ajv). */
export function jsonCreateCheck(request: FastifyRequest): RowCheck {
  const validate = request.compileValidationSchema(ItemCreate, 'body')
  return (body) => {
    normalizeNameIn(body)
    if (validate(body)) return { item: fromJson(body as ItemCreate) }
    return { problem: toFieldErrors(validate.errors ?? [], 'body') }
  }
}

export interface ImportOptions {
  check: RowCheck
  items: ItemsRepository
  createdBy: string | null
  /** Why the import must stop now (the service is closing, say), or undefined to go on. */
  stopReason(): string | undefined
}

const UNAVAILABLE = 'The database is unavailable, so this row was not stored; send the file again'

function nameOf(body: unknown): string | null {
  const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined
  return typeof name === 'string' ? name : null
}

/** A batch's rows, each checked; the valid ones go to the database together. */
type Checked = { line: number; name: string | null; item?: Item; result?: RowResult }

/**
 * The result lines of an import, as text a batch at a time, then the summary line. A row that cannot be sent
 * (the database became unavailable, the service is closing) is answered `skipped` and the rows after it are
 * not sent either. Throws DatabaseUnavailableError when the very first batch could not be sent: then nothing
 * was stored and the whole request is answered 503.
 */
export async function* importResults(file: ReceivedFile, options: ImportOptions): AsyncGenerator<string> {
  const summary = Object.fromEntries(RESULTS.map((kind) => [kind, 0])) as Summary
  let stopped: string | undefined
  let batches = 0
  let batchRows = BATCH_ROWS

  async function store(batch: Checked[], first: boolean): Promise<RowResult[]> {
    const valid = batch.filter((row): row is Checked & { item: Item } => row.item !== undefined)
    stopped ??= options.stopReason()
    const reason = stopped
    const readFirst = batchRows === TAKEN_BATCH_ROWS
    const outcomes =
      valid.length === 0 || reason !== undefined ? [] : await options.items.createMany(valid.map((row) => row.item), options.createdBy, { readFirst })
    const unavailable = outcomes.length > 0 && outcomes.every((outcome) => outcome instanceof DatabaseUnavailableError)
    if (unavailable && first) throw new DatabaseUnavailableError()
    const taken = outcomes.filter((outcome) => outcome instanceof DuplicateItemError || (!(outcome instanceof Error) && !outcome.created)).length
    if (taken * 2 > valid.length) batchRows = TAKEN_BATCH_ROWS
    valid.forEach((row, i) => {
      const outcome = outcomes[i]
      row.result = { line: row.line, name: row.item.name, result: 'skipped', detail: reason ?? UNAVAILABLE }
      if (outcome === undefined) return
      if (outcome instanceof DatabaseUnavailableError) {
        stopped ??= UNAVAILABLE
      } else if (outcome instanceof DuplicateItemError) {
        row.result = { ...row.result, result: 'conflict', detail: outcome.detail }
      } else if (outcome instanceof WriteOutcomeUnknownError) {
        row.result = { ...row.result, result: 'unknown', detail: outcome.detail }
      } else {
        row.result = { ...row.result, name: outcome.item.name, result: outcome.created ? 'created' : 'unchanged', detail: null }
      }
    })
    return batch.map((row) => row.result ?? { line: row.line, name: row.name, result: 'skipped', detail: reason ?? UNAVAILABLE })
  }

  function text(results: RowResult[]): string {
    let out = ''
    for (const result of results) {
      summary[result.result]++
      out += `${JSON.stringify(result)}\n`
    }
    return out
  }

  const inFlight: Promise<RowResult[]>[] = []
  const send = (batch: Checked[]): void => {
    const stored = store(batch, batches++ === 0)
    // Handled when awaited in turn; a rejection of a later batch meanwhile is not an unhandled one.
    stored.catch(() => undefined)
    inFlight.push(stored)
  }
  let batch: Checked[] = []
  try {
    for await (const row of file.format === 'csv' ? csvRows(file) : ndjsonRows(file)) {
      if ('problem' in row) {
        batch.push({ line: row.line, name: row.name, result: { line: row.line, name: row.name, result: 'invalid', detail: row.problem } })
      } else {
        const checked = options.check(row.body)
        batch.push(
          'item' in checked
            ? { line: row.line, name: checked.item.name, item: checked.item }
            : { line: row.line, name: nameOf(row.body), result: { line: row.line, name: nameOf(row.body), result: 'invalid', detail: checked.problem } },
        )
      }
      if (batch.length < batchRows) continue
      send(batch)
      batch = []
      if (inFlight.length >= BATCHES_IN_FLIGHT) yield text(await (inFlight.shift() as Promise<RowResult[]>))
    }
    if (batch.length > 0) send(batch)
    while (inFlight.length > 0) yield text(await (inFlight.shift() as Promise<RowResult[]>))
    yield `${JSON.stringify({ summary })}\n`
  } finally {
    await file.dispose()
  }
}
