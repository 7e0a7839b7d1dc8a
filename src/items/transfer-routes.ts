// Bringing a catalogue in and taking it out: GET /export/items.ndjson and /export/items.csv (public, like every
// read), POST /import/items (programs: a CSV or NDJSON body, result lines back), and the import page for people
// (GET /import/, its form POST /import/ and its script's POST /import/stream). Paths outside /items/ and
// /catalogue/, so no item name can collide with them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import { HttpError, sendError, type FieldError } from '../http/errors.js'
import { htmlAnswer, sendHtml } from '../http/html-reply.js'
import { acceptMultipartFile, uploadedFile } from './multipart.js'
import { described, ErrorMessage, ValidationFailure } from '../http/schemas.js'
import { concurrencySlots, RowBudget } from '../plugins/transfer-limits.js'
import { IMPORT_CONTENT_SECURITY_POLICY } from '../plugins/security.js'
import { importPage, importResultsPage, type ImportOutcome } from '../views/import-page.js'
import { csvExport, exportFilename, ndjsonExport } from './export.js'
import {
  IMPORT_LIMITS_TEXT,
  IMPORT_MAX_BYTES,
  IMPORT_TYPES,
  importResults,
  jsonCreateCheck,
  receiveFile,
  type ImportFormat,
  type RowResult,
  type Summary,
} from './import.js'
import { BATCH_READ_MS } from './repository.js'
import { toJson } from './routes.js'
import { ItemJson, NoQuery } from './schemas.js'

export interface TransferOptions {
  /** Rows an import may create per writer and hour; 0 = no budget (RATE_LIMIT_IMPORT_ROWS). */
  importRowsPerHour: number
}

export const IMPORT_PAGE_PATH = '/import/'
const IMPORT_STREAM_PATH = '/import/stream'
/** The header that says how many data rows the file has, before the result lines: a progress bar's end. */
export const IMPORT_ROWS_HEADER = 'import-rows'
const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8'
const RETRY_AFTER_S = 5
const CLOSING = 'The service is shutting down, so this row was not stored; send the file again'

/** The media type and charset a body declares; an import takes UTF-8 only. */
function importFormat(request: FastifyRequest): ImportFormat {
  const header = request.headers['content-type'] ?? ''
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase())
  const format = IMPORT_TYPES[type]
  if (format === undefined) {
    throw new HttpError(415, `Content-Type must be text/csv or application/x-ndjson, got ${type === '' ? 'none' : `"${type.slice(0, 100)}"`}`)
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, `The file must be UTF-8, and the Content-Type says charset=${charset.slice(0, 40)}; save it as UTF-8`)
  }
  return format
}

/** onRequest: the media type and the declared size, before any byte of the body is read. */
async function checkImportHead(request: FastifyRequest): Promise<void> {
  importFormat(request)
  const declared = Number(request.headers['content-length'] ?? 0)
  if (declared > IMPORT_MAX_BYTES) throw new HttpError(413, `The file is larger than ${IMPORT_MAX_BYTES / 2 ** 20} MiB; split it into smaller files. Nothing was stored`)
}

/** onRequest of the form: its declared size, before any byte of it is read. */
async function checkUploadHead(request: FastifyRequest): Promise<void> {
  // The file and a few small fields.
  if (Number(request.headers['content-length'] ?? 0) > IMPORT_MAX_BYTES + 64 * 1024) {
    throw new HttpError(413, `The file is larger than ${IMPORT_MAX_BYTES / 2 ** 20} MiB; split it into smaller files. Nothing was stored`)
  }
}

/** A refusal while the body is still being sent: answer, then close, rather than read the rest of it. */
function closingAfter(reply: FastifyReply, err: unknown): never {
  void reply.header('connection', 'close')
  throw err
}

const ImportAnswer = {
  description:
    'One JSON line per data row, in file order: {"line", "name", "result", "detail"}, result being created, unchanged, conflict, ' +
    'invalid, unknown or skipped; then {"summary": {...}} with the count of each. Import-Rows says how many rows the file has.',
  content: { 'application/x-ndjson': { schema: { type: 'string' } } },
}

const transferRoutes: FastifyPluginAsyncTypebox<TransferOptions> = async (fastify, { importRowsPerHour }) => {
  let closing = false
  fastify.addHook('preClose', async () => {
    closing = true
  })
  const stopReason = (): string | undefined => (closing ? CLOSING : undefined)
  const exportSlot = concurrencySlots({ what: 'exports', perClient: 2, total: 4, retryAfterS: RETRY_AFTER_S })
  const importSlot = concurrencySlots({ what: 'imports', perClient: 1, total: 2, retryAfterS: RETRY_AFTER_S })
  const budget = new RowBudget(importRowsPerHour)

  // Import bodies are read as a stream by the route (src/items/import.ts), past the app's 64 KiB body limit,
  // under the import's own limits; nothing else in this scope takes a body.
  fastify.addContentTypeParser(Object.keys(IMPORT_TYPES), (_request, payload, done) => {
    done(null, payload)
  })
  acceptMultipartFile(fastify)

  /** Receives and checks the whole file, then takes its rows from the writer's budget: nothing is stored yet. */
  async function received(request: FastifyRequest, reply: FastifyReply, body: AsyncIterable<Buffer>, format: ImportFormat) {
    const file = await receiveFile(body, format).catch((err: unknown) => closingAfter(reply, err))
    // From here the service is the slow party: the answer waits for batches, two in flight, each of which may
    // take a read of the whole collection (FerretDB) to settle. Longer than the app's idle-socket bound.
    request.raw.socket.setTimeout(2 * BATCH_READ_MS + 15_000)
    try {
      budget.take(request.createdBy ?? request.ip, file.rows, reply)
    } catch (err) {
      await file.dispose()
      throw err
    }
    return { file, results: importResults(file, { check: jsonCreateCheck(request), items: fastify.items, createdBy: request.createdBy, stopReason }) }
  }

  /** The result lines as the answer's body, streamed; the first batch is awaited so that a 503 can still be a status. */
  async function streamImport(request: FastifyRequest, reply: FastifyReply, format: ImportFormat) {
    const { file, results } = await received(request, reply, request.body as Readable, format)
    const first = await results.next()
    async function* rest(): AsyncGenerator<string> {
      if (first.done !== true) yield first.value
      yield* results
    }
    return reply.code(200).type(NDJSON_TYPE).header(IMPORT_ROWS_HEADER, file.rows).send(Readable.from(rest(), { objectMode: false }))
  }

  const exportHead = (what: string) => ({
    tags: ['transfer'],
    querystring: NoQuery,
    summary: `The whole catalogue as ${what}, in code point order of the names`,
    produces: [what === 'CSV' ? 'text/csv' : 'application/x-ndjson'],
    response: {
      200: { description: `Every item once, in code point order of the names, streamed; Content-Disposition names items-<date>.${what === 'CSV' ? 'csv' : 'ndjson'}` },
      429: described(ErrorMessage, 'Already two exports running for this address; Retry-After says when to try again'),
      503: described(ErrorMessage, 'As many exports running as the service allows, or the database is unavailable; Retry-After'),
    },
  })

  fastify.get(
    '/export/items.ndjson',
    {
      onRequest: exportSlot,
      schema: {
        ...exportHead('NDJSON'),
        description: 'One line per item, each exactly the body of GET /items/<name>/. Items created meanwhile are listed once or not at all.',
      },
    },
    async (_request, reply) => {
      const serialize = reply.compileSerializationSchema(ItemJson as unknown as Record<string, unknown>)
      const body = ndjsonExport(fastify.items.all(), (item) => serialize(toJson(item)), stopReason)
      return reply.type(NDJSON_TYPE).header('content-disposition', `attachment; filename="${exportFilename('ndjson')}"`).send(body)
    },
  )

  fastify.get(
    '/export/items.csv',
    {
      onRequest: exportSlot,
      schema: {
        ...exportHead('CSV'),
        description:
          'RFC 4180, UTF-8, CRLF: a header row name,price,description,tax, then one row per item. A text value that a spreadsheet would ' +
          'read as a formula (starting with = + - @, a tab or a carriage return), or that starts with an apostrophe, is written with a ' +
          'leading apostrophe, which an import removes again. An empty description is "" and no description an empty cell.',
      },
    },
    async (_request, reply) => {
      const body = csvExport(fastify.items.all(), stopReason)
      return reply.type('text/csv; charset=utf-8; header=present').header('content-disposition', `attachment; filename="${exportFilename('csv')}"`).send(body)
    },
  )

  fastify.post(
    '/import/items',
    {
      onRequest: [fastify.requireApiKey, checkImportHead, importSlot],
      config: { limitCreates: true },
      schema: {
        tags: ['transfer'],
        summary: 'Import items from a CSV or NDJSON file',
        querystring: NoQuery,
        description:
          `Each data row is a create with the rules of POST /items/new/. CSV: a header row naming the columns (name and price, optionally ` +
          `description and tax, in any order), UTF-8 with or without a BOM. NDJSON: each line the JSON body of POST /items/new/. At most ` +
          `${IMPORT_LIMITS_TEXT}. The whole file is checked before any row is stored.`,
        consumes: Object.keys(IMPORT_TYPES),
        response: {
          200: ImportAnswer,
          400: described(ErrorMessage, 'The file is not UTF-8 text; nothing was stored'),
          413: described(ErrorMessage, `The file is over ${IMPORT_LIMITS_TEXT}; nothing was stored`),
          415: described(ErrorMessage, 'The Content-Type is not text/csv or application/x-ndjson, or declares a charset other than UTF-8'),
          422: described(
            Type.Union([ErrorMessage, ValidationFailure]),
            'The header row is missing or wrong (an unknown, repeated or missing column), or the CSV cannot be read; or an unknown query parameter, named. Nothing was stored',
          ),
          429: described(ErrorMessage, 'Over the create limit, over the import row budget, or an import from this address is already running; Retry-After'),
          503: described(ErrorMessage, 'The database is unavailable or the service is busy with other imports: nothing was stored; Retry-After'),
        },
      },
    },
    async (request, reply) => streamImport(request, reply, importFormat(request)),
  )

  // The import page for people. With writes closed, for signed-in editors only (src/auth/access.ts).
  const pageErrors = (request: FastifyRequest, reply: FastifyReply) => {
    const account = fastify.account(request, reply)
    return {
      invalid: (fieldErrors: FieldError[]) => importPage(account, fieldErrors.map(({ msg }) => msg.charAt(0).toUpperCase() + msg.slice(1)).join('; ')),
      failed: (_status: number, detail: string) => importPage(account, detail),
    }
  }

  fastify.get(
    IMPORT_PAGE_PATH,
    {
      onRequest: fastify.requireEditor,
      errorHandler(error, request, reply) {
        sendError(error, request, reply, pageErrors(request, reply))
      },
      schema: { tags: ['transfer'], summary: 'The import page: a file input, progress and results', querystring: NoQuery, produces: ['text/html'], response: { 200: htmlAnswer('The page') } },
    },
    async (request, reply) =>
      sendHtml(reply.header('content-security-policy', IMPORT_CONTENT_SECURITY_POLICY).header('cache-control', 'private, no-store'), 200, importPage(fastify.account(request, reply))),
  )

  fastify.post(
    IMPORT_PAGE_PATH,
    {
      onRequest: [fastify.requireEditor, checkUploadHead, importSlot],
      preValidation: fastify.checkCsrf,
      config: { limitCreates: true },
      errorHandler(error, request, reply) {
        sendError(error, request, reply, pageErrors(request, reply))
      },
      schema: {
        tags: ['transfer'],
        summary: 'The import page’s form (without JavaScript): the file as multipart/form-data, the results as a page',
        querystring: NoQuery,
        consumes: ['multipart/form-data'],
        produces: ['text/html'],
        response: { 200: htmlAnswer('The counts and the rows not imported, with their reasons'), 413: htmlAnswer('The file is too large; nothing was stored') },
      },
    },
    async (request, reply) => {
      const file = uploadedFile(request.body)
      if (file === undefined || file.filename === '') throw new HttpError(422, 'Choose a file to import (.csv or .ndjson)')
      const format = /\.(ndjson|jsonl)$/i.test(file.filename) || file.mimeType === 'application/x-ndjson' ? 'ndjson' : 'csv'
      const { results } = await received(request, reply, file.stream, format)
      const outcome = await collect(results)
      return sendHtml(reply, 200, importResultsPage(file.filename, outcome, fastify.account(request, reply)))
    },
  )

  fastify.post(
    IMPORT_STREAM_PATH,
    {
      onRequest: [fastify.requireEditor, checkImportHead, importSlot],
      preValidation: fastify.checkCsrf,
      config: { limitCreates: true },
      schema: {
        tags: ['transfer'],
        summary: 'The import page’s script: the file as the body (as POST /import/items), the result lines back',
        querystring: NoQuery,
        description: 'With writes closed: a signed-in editor, and the page’s CSRF token in the csrf-token header.',
        consumes: Object.keys(IMPORT_TYPES),
        response: { 200: ImportAnswer },
      },
    },
    async (request, reply) => streamImport(request, reply, importFormat(request)),
  )
}

/** How many rows the page lists; the rest are in the full results. */
const LISTED_ROWS = 1_000
/** The full results go in the page as a download link up to this size. */
const LINKED_RESULTS_CHARS = 1024 * 1024

/** Reads an import's result lines to the end, keeping what the results page shows. */
async function collect(results: AsyncIterable<string>): Promise<ImportOutcome> {
  const notImported: RowResult[] = []
  let summary: Summary | undefined
  let notListed = 0
  let text = ''
  for await (const chunk of results) {
    if (text.length <= LINKED_RESULTS_CHARS) text += chunk
    for (const line of chunk.split('\n')) {
      if (line === '') continue
      const parsed = JSON.parse(line) as RowResult | { summary: Summary }
      if ('summary' in parsed) summary = parsed.summary
      else if (parsed.result !== 'created' && parsed.result !== 'unchanged') {
        if (notImported.length < LISTED_ROWS) notImported.push(parsed)
        else notListed++
      }
    }
  }
  if (summary === undefined) throw new Error('the import ended without its summary')
  return { summary, notImported, notListed, results: text.length <= LINKED_RESULTS_CHARS ? text : undefined }
}

export default transferRoutes
