// Every failure is classified once here; the JSON API and the HTML form only differ in how they
// render the result.
import type { FastifyError } from 'fastify'
import { DatabaseUnavailableError, DuplicateItemError, WriteOutcomeUnknownError } from '../items/errors.js'
import { itemPath } from '../items/paths.js'
import { toFieldErrors } from './validation.js'

/** An error whose status and message are meant for the client as they are. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export interface FieldError {
  loc: string[]
  msg: string
  type: string
}

/** Problems with fields found outside schema validation; answered 422 like a validation failure. */
export class FieldErrors extends Error {
  constructor(readonly fieldErrors: FieldError[]) {
    super(fieldErrors.map((error) => error.msg).join('; '))
    this.name = 'FieldErrors'
  }
}

/** What Fastify attaches to a request that failed schema validation. */
export interface ValidationFailureLike {
  validation?: FastifyError['validation']
  validationContext?: string
}

export type ClassifiedError =
  | { statusCode: 422; fieldErrors: FieldError[] }
  | { statusCode: number; detail: string; expected: boolean }

// Fastify's own client errors, reworded to say what to fix.
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than 64 KiB',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body',
}

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof DuplicateItemError) {
    return { statusCode: 409, detail: `An item named "${error.itemName}" is already present`, expected: true }
  }
  if (error instanceof DatabaseUnavailableError) {
    // Already logged by the repository.
    return { statusCode: 503, detail: 'The database is unavailable; try again shortly', expected: true }
  }
  if (error instanceof WriteOutcomeUnknownError) {
    const detail =
      'The database did not confirm the write in time, so the outcome is unknown: read the item at ' +
      `${itemPath(error.itemName)}, or send the same item again (an identical stored item is answered 200)`
    return { statusCode: 504, detail, expected: true }
  }
  if (error instanceof HttpError) return { statusCode: error.statusCode, detail: error.message, expected: true }
  if (error instanceof FieldErrors) return { statusCode: 422, fieldErrors: error.fieldErrors }
  const fastifyError = error as Partial<FastifyError>
  if (fastifyError.validation !== undefined) {
    return { statusCode: 422, fieldErrors: toFieldErrors(fastifyError) }
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = fastifyError.code ?? ''
    const detail =
      FASTIFY_MESSAGES[code] ??
      (status === 415 ? 'Unsupported Content-Type' : (fastifyError.message ?? 'Bad request'))
    return { statusCode: status, detail, expected: true }
  }
  return { statusCode: 500, detail: 'Internal Server Error', expected: false }
}
