// multipart/form-data for the form route, as FastAPI's Form accepts it: text fields only, under the same
// body limit as every other body. @fastify/multipart reads the body as a stream, past Fastify's bodyLimit,
// so the limit is enforced here on the stream itself.
import multipart, { type MultipartFile } from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Transform, type TransformCallback } from 'node:stream'
import { BODY_LIMIT_BYTES, BODY_LIMIT_TEXT } from './body-limit.js'
import { FieldErrors, HttpError } from './errors.js'

const tooLarge = (): HttpError => new HttpError(413, `The request body is larger than ${BODY_LIMIT_TEXT}`)

/** preParsing hook: a multipart body longer than the limit fails as it streams in, declared or not. */
async function limitMultipartBody(request: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> {
  if (!request.isMultipart()) return payload
  if (Number(request.headers['content-length']) > BODY_LIMIT_BYTES) throw tooLarge()
  let received = 0
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      received += chunk.length
      if (received > BODY_LIMIT_BYTES) callback(tooLarge())
      else callback(null, chunk)
    },
  })
  payload.on('error', (err: Error) => limited.destroy(err))
  return payload.pipe(limited)
}

/** A file where text belongs: refused by the field's name, before any of it is kept. */
async function refuseFile(part: MultipartFile): Promise<void> {
  part.file.resume()
  throw new FieldErrors([
    { loc: ['body', part.fieldname], msg: `${part.fieldname} must be text; this form takes no files`, type: 'file_not_accepted' },
  ])
}

/** Registers multipart parsing on `fastify` (a route plugin's own scope): fields become the body as text. */
export async function acceptMultipartText(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('preParsing', limitMultipartBody)
  await fastify.register(multipart, {
    attachFieldsToBody: 'keyValues',
    onFile: refuseFile,
    limits: { fieldNameSize: 100, fieldSize: BODY_LIMIT_BYTES, fields: 100, parts: 100, headerPairs: 20 },
  })
}
