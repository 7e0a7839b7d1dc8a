// multipart/form-data for the two forms that send it, each parser registered in its route plugin's own scope,
// both on @fastify/busboy:
//  - the item form (acceptMultipartText), as FastAPI's Form accepts it: text fields only, UTF-8 only, under the
//    same body limit as every other body. The body is read whole (at most 64 KiB, Fastify's bodyLimit), checked
//    in one linear pass, then parsed:
//    - at most MAX_PARTS parts: busboy costs about 40 µs per part even after its own limit, so a body of
//      thousands of delimiters would hold the event loop for tenths of a second (docs/reliability.md);
//    - every text part's bytes are valid UTF-8 and it declares no other charset: busboy would store invalid
//      bytes as U+FFFD, a name the client never sent (the JSON route refuses them too);
//  - the import page's form (acceptMultipartFile), which uploads one file: the text fields before the file are
//    read whole (small), then the body is handed on with the file's own stream, unread, so that the route's
//    checks (the CSRF token, a text field before the file) run before a byte of the file is read, and the file
//    is read as it arrives, never held whole in memory.
import { Busboy, type BusboyConfig, type BusboyInstance } from '@fastify/busboy'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { BODY_LIMIT_BYTES, BODY_LIMIT_TEXT } from '../http/body-limit.js'
import { FieldErrors, HttpError } from '../http/errors.js'

/** More parts than the item form sends (it has four fields). */
export const MAX_PARTS = 100

const TOO_MANY = `The multipart body has more than ${MAX_PARTS} parts`
function malformed(error: unknown): HttpError {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unreadable'
  return new HttpError(400, `The multipart body is malformed (${message}); send multipart/form-data with its boundary`)
}
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function busboy(contentType: string, limits: BusboyConfig['limits']): BusboyInstance {
  return new Busboy({ headers: { 'content-type': contentType }, limits: { fieldNameSize: 100, headerPairs: 20, ...limits } })
}

/**
 * preParsing hook: a multipart body must declare its length, within the limit, so that a refusal comes
 * before any byte of it is read.
 */
async function limitMultipartBody(request: FastifyRequest): Promise<void> {
  if (request.headers['content-type']?.toLowerCase().startsWith('multipart/') !== true) return
  const declared = request.headers['content-length']
  if (declared === undefined) throw new HttpError(411, `A multipart body must declare its Content-Length (at most ${BODY_LIMIT_TEXT})`)
  if (Number(declared) > BODY_LIMIT_BYTES) throw new HttpError(413, `The request body is larger than ${BODY_LIMIT_TEXT}`)
}

/** Too many parts, or a text part whose bytes are not UTF-8 or which declares another charset, is refused; busboy says what else is malformed. */
function checkRawParts(body: Buffer, boundary: string): void {
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1')
  // The first delimiter may open the body without the CRLF before it.
  const starts: number[] = []
  for (let at = body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2)) ? -2 : body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + delimiter.length)) {
    if (starts.push(at) > MAX_PARTS + 1) throw new HttpError(413, TOO_MANY)
  }
  for (let i = 0; i + 1 < starts.length; i++) {
    const part = body.subarray((starts[i] ?? 0) + delimiter.length, starts[i + 1])
    // "--" after a delimiter closes the body.
    if (part[0] === 0x2d && part[1] === 0x2d) return
    const headerEnd = part.indexOf('\r\n\r\n')
    const headers = part.subarray(0, Math.max(headerEnd, 0)).toString('latin1')
    if (headerEnd === -1 || /filename\*?=/i.test(headers)) continue
    const name = /\bname="([^"]*)"/i.exec(headers)?.[1] ?? /\bname=([^\s;]+)/i.exec(headers)?.[1] ?? 'unnamed'
    const charset = /;\s*charset="?([^";\s]+)/i.exec(headers)?.[1]?.toLowerCase() ?? 'utf-8'
    if (!['utf-8', 'utf8', 'us-ascii'].includes(charset)) throw new HttpError(400, `The ${name} field of the multipart body declares charset ${charset.slice(0, 40)}; send it as UTF-8`)
    try {
      utf8.decode(part.subarray(headerEnd + 4))
    } catch {
      throw new HttpError(400, `The ${name} field of the multipart body is not valid UTF-8 text; send UTF-8`)
    }
  }
}

/** The text fields of a whole multipart body; a repeated one gives an array, as with a URL-encoded form. */
function parseMultipart(contentType: string, body: Buffer): Promise<Record<string, string | string[]>> {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (boundary === undefined) return Promise.reject(malformed('no boundary parameter in the Content-Type'))
  checkRawParts(body, boundary)
  return new Promise((resolve, reject) => {
    // No prototype, so a field named __proto__ is plain data.
    const fields = Object.create(null) as Record<string, string | string[]>
    let failed = false
    const fail = (error: unknown): void => {
      if (failed) return
      failed = true
      const message = error instanceof Error ? error.message : 'unreadable'
      // busboy's own refusals (limits, malformed input) as answers.
      reject(error instanceof HttpError || error instanceof FieldErrors ? error : /limit/i.test(message) ? new HttpError(413, `The multipart body is refused: ${message}`) : malformed(message))
    }
    try {
      const parser = busboy(contentType, { fieldSize: BODY_LIMIT_BYTES, fields: MAX_PARTS, parts: MAX_PARTS })
      parser.on('field', (name: string, value: string) => {
        const existing = fields[name]
        fields[name] = existing === undefined ? value : [existing, value].flat()
      })
      parser.on('file', (name: string, stream: NodeJS.ReadableStream) => {
        stream.resume()
        fail(new FieldErrors([{ loc: ['body', name], msg: `${name} must be text; this form takes no files`, type: 'file_not_accepted' }]))
      })
      parser.on('partsLimit', () => { fail(new HttpError(413, TOO_MANY)) })
      parser.on('fieldsLimit', () => { fail(new HttpError(413, `The multipart body has more than ${MAX_PARTS} fields`)) })
      parser.on('error', fail)
      parser.on('finish', () => { if (!failed) resolve(fields) })
      parser.end(body)
    } catch (error) {
      fail(error)
    }
  })
}

/** Registers the item form's multipart parsing on `fastify`: its text fields become the body. */
export async function acceptMultipartText(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('preParsing', limitMultipartBody)
  fastify.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    parseMultipart(request.headers['content-type'] ?? '', body as Buffer).then((fields) => { done(null, fields) }, (error: unknown) => { done(error as Error, undefined) })
  })
}

export interface UploadedFile {
  /** The form field's name. */
  field: string
  /** The file's name as the browser sent it ("" when none was chosen). */
  filename: string
  /** The part's Content-Type as the browser sent it. */
  mimeType: string
  stream: Readable
}

// The body is the text fields (so the CSRF check finds `_csrf` where it looks); the file is kept beside it.
const files = new WeakMap<object, UploadedFile>()

/** The file of a body acceptMultipartFile's parser made, or undefined when the form sent none. */
export function uploadedFile(body: unknown): UploadedFile | undefined {
  return typeof body === 'object' && body !== null ? files.get(body) : undefined
}

const MAX_FILE_FORM_FIELDS = 10

/** Registers the import form's parser on `fastify`: the body is the text fields sent before the file. */
export function acceptMultipartFile(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    let settled = false
    const settle = (error: Error | null, body?: Record<string, string>): void => {
      if (settled) return
      settled = true
      done(error, body)
    }
    let parser: BusboyInstance
    try {
      parser = busboy(request.headers['content-type'] ?? '', { fieldSize: 4 * 1024, fields: MAX_FILE_FORM_FIELDS, files: 1, parts: MAX_FILE_FORM_FIELDS + 1 })
    } catch (error) {
      settle(malformed(error))
      return
    }
    // No prototype, so a field named __proto__ is plain data.
    const fields = Object.create(null) as Record<string, string>
    let file: UploadedFile | undefined
    parser.on('field', (name: string, value: string) => {
      fields[name] = value
    })
    parser.on('file', (field: string, stream: Readable, filename: string, _encoding: string, mimeType: string) => {
      if (settled) {
        stream.resume()
        return
      }
      file = { field, filename, mimeType, stream }
      files.set(fields, file)
      settle(null, fields)
    })
    parser.on('finish', () => {
      settle(null, fields)
    })
    parser.on('error', (error: unknown) => {
      if (!settled) settle(malformed(error))
      else file?.stream.destroy(malformed(error))
    })
    payload.pipe(parser)
  })
}
