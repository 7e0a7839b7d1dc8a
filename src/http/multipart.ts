// multipart/form-data for the form route, as FastAPI's Form accepts it: text fields only, under the same
// body limit as every other body. @fastify/multipart reads the body as a stream, past Fastify's bodyLimit,
// so the limit is enforced here on the declared length.
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BODY_LIMIT_BYTES, BODY_LIMIT_TEXT } from './body-limit.js'
import { FieldErrors, HttpError } from './errors.js'

/**
 * preParsing hook: a multipart body must declare its length, within the limit. Node's parser then holds the
 * body to that length, so the limit holds for the whole body without counting it again here.
 */
async function limitMultipartBody(request: FastifyRequest): Promise<void> {
  // isMultipart() is only known once the body is being parsed, after this hook.
  if (request.headers['content-type']?.toLowerCase().startsWith('multipart/') !== true) return
  const declared = request.headers['content-length']
  if (declared === undefined) throw new HttpError(411, `A multipart body must declare its Content-Length (at most ${BODY_LIMIT_TEXT})`)
  if (Number(declared) > BODY_LIMIT_BYTES) throw new HttpError(413, `The request body is larger than ${BODY_LIMIT_TEXT}`)
}

function fileRefused(fieldname: string): FieldErrors {
  return new FieldErrors([{ loc: ['body', fieldname], msg: `${fieldname} must be text; this form takes no files`, type: 'file_not_accepted' }])
}

/** The parser's own refusals (limits) keep their 4xx; anything else it throws is a malformed body. */
function refusal(error: unknown): Error {
  if (error instanceof FieldErrors || error instanceof HttpError) return error
  const { message = 'unreadable', statusCode } = error as { message?: string; statusCode?: unknown }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new HttpError(statusCode, `The multipart body is refused: ${message}`)
  }
  return new HttpError(400, `The multipart body is malformed (${message}); send multipart/form-data with its boundary`)
}

/**
 * Registers multipart parsing on `fastify` (a route plugin's own scope): the text fields become the body,
 * a repeated one an array, as with a URL-encoded form; a file is refused by its field's name.
 */
export async function acceptMultipartText(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('preParsing', limitMultipartBody)
  await fastify.register(multipart, {
    limits: { fieldNameSize: 100, fieldSize: BODY_LIMIT_BYTES, fields: 100, parts: 100, headerPairs: 20 },
  })
  fastify.addHook('preValidation', async (request) => {
    if (!request.isMultipart()) return
    const body = Object.create(null) as Record<string, string | string[]>
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          part.file.resume()
          throw fileRefused(part.fieldname)
        }
        const value = String(part.value)
        const existing = body[part.fieldname]
        if (existing === undefined) body[part.fieldname] = value
        else if (Array.isArray(existing)) existing.push(value)
        else body[part.fieldname] = [existing, value]
      }
    } catch (error) {
      throw refusal(error)
    }
    request.body = body
  })
}
