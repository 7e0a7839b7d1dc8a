// multipart/form-data with one file, for a form that uploads a file (the import page without JavaScript):
// the text fields before the file are read whole (small), then the body is handed on with the file's own
// stream, unread, so that the route's checks (the CSRF token, a text field before the file) run before a byte
// of the file is read, and the file is read as it arrives, never held whole in memory.
import { Busboy, type BusboyInstance } from '@fastify/busboy'
import type { FastifyInstance } from 'fastify'
import type { Readable } from 'node:stream'
import { HttpError } from './errors.js'

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

/** The file of a body this parser made, or undefined when the form sent none. */
export function uploadedFile(body: unknown): UploadedFile | undefined {
  return typeof body === 'object' && body !== null ? files.get(body) : undefined
}

const MAX_FIELDS = 10
const MAX_FIELD_BYTES = 4 * 1024

function malformed(error: unknown): HttpError {
  const message = error instanceof Error ? error.message : 'unreadable'
  return new HttpError(400, `The multipart body is malformed (${message}); send multipart/form-data with its boundary`)
}

/** Registers the parser on `fastify` (a route plugin's own scope): the body is the text fields sent before the file. */
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
      parser = new Busboy({
        headers: { 'content-type': request.headers['content-type'] ?? '' },
        limits: { fieldNameSize: 100, fieldSize: MAX_FIELD_BYTES, fields: MAX_FIELDS, files: 1, parts: MAX_FIELDS + 1, headerPairs: 20 },
      })
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
