// The error contract: every failure is classified once here and answered by sendError, as JSON or as the
// route's page. Validation failures are reported in the original FastAPI demo's shape, one entry per bad
// field: {"loc": ["body", "price"], "msg": ..., "type": ...}.
import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { BODY_LIMIT_TEXT } from './body-limit.js'
import { sendHtml } from './html-reply.js'

/**
 * An error whose status and detail are meant for the client as they are. Domain errors extend it, so they
 * carry their own answer and this layer needs to know none of them.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options)
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
interface ValidationFailureLike {
  validation?: FastifyError['validation']
  validationContext?: string
}

/** How to answer a failure; `log` is true only for a failure nobody planned for (a bug or an outage). */
type ClassifiedError =
  | { statusCode: 422; fieldErrors: FieldError[] }
  | { statusCode: number; detail: string; log: boolean }

// Fastify's own client errors, reworded to say what to fix.
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `The request body is larger than ${BODY_LIMIT_TEXT}`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body',
  // @fastify/csrf-protection (src/auth/access.ts): a form from before the sign-in, another session's, or another site's.
  FST_CSRF_INVALID_TOKEN: 'The form is out of date or did not come from this site, so nothing was stored; reload the form and send it again',
  FST_CSRF_MISSING_SECRET: 'The form is out of date or did not come from this site, so nothing was stored; reload the form and send it again',
}

function classifyError(error: unknown): ClassifiedError {
  if (error instanceof HttpError) return { statusCode: error.statusCode, detail: error.detail, log: false }
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
    return { statusCode: status, detail, log: false }
  }
  return { statusCode: 500, detail: 'Internal Server Error', log: true }
}

/** How a route that answers with pages shows a failure. */
export interface ErrorPages {
  /** 422: the fields and what is wrong with each. */
  invalid(fieldErrors: FieldError[]): string
  /** Any other failure; `error` is what was thrown, for pages of a domain error of the route's own. */
  failed(statusCode: number, detail: string, error: unknown): string
}

/**
 * Answers a failure: {"detail": ...} as JSON, or with `pages` the route's page for it. Logs only a failure
 * nobody planned for (a bug), answered 500 without its internals.
 */
/** Seconds a client is told to wait after a 503 the service expects to pass soon. */
export const RETRY_AFTER_S = 1

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, pages?: ErrorPages): FastifyReply {
  const outcome = classifyError(error)
  // A 503 (database unavailable, shutting down) is temporary: say when to come back.
  if (outcome.statusCode === 503) void reply.header('retry-after', RETRY_AFTER_S)
  if ('fieldErrors' in outcome) {
    if (pages === undefined) return reply.code(422).send({ detail: outcome.fieldErrors })
    return sendHtml(reply, 422, pages.invalid(outcome.fieldErrors))
  }
  if (outcome.log) request.log.error({ err: error }, 'request failed')
  if (pages === undefined) return reply.code(outcome.statusCode).send({ detail: outcome.detail })
  return sendHtml(reply, outcome.statusCode, pages.failed(outcome.statusCode, outcome.detail, error))
}

const LOC_PREFIX: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

// Which of several errors on one field explains it best. A rule of the branch whose type matched
// (maxLength of a string in string-or-null) says more than "matches none of the types"; '*' is any such rule.
const PRIORITY = ['x-money', 'required', 'x-name', '*', 'anyOf', 'type']

function typeName(schema: unknown): string {
  const type = (schema as { type?: unknown }).type
  if (type === 'null') return 'null'
  if (type === 'integer') return 'a whole number'
  if (type === 'object') return 'an object'
  if (type === 'array') return 'an array'
  return typeof type === 'string' ? `a ${type}` : 'a valid value'
}

function describe(error: ErrorObject, field: string): { msg: string; type: string } {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'x-money':
    case 'x-name':
      return { msg: error.message ?? `${field} is not a valid amount`, type: String(params.type) }
    case 'required':
      return { msg: `${field} is required`, type: 'missing' }
    case 'type':
      return field === ''
        ? { msg: 'The request body must be a JSON object', type: 'model_attributes_type' }
        : { msg: `${field} must be ${typeName(error.parentSchema)}`, type: `${String(params.type)}_type` }
    case 'anyOf': {
      const branches = Array.isArray(error.schema) ? (error.schema as unknown[]) : []
      return { msg: `${field} must be ${branches.map(typeName).join(' or ')}`, type: 'union_type' }
    }
    case 'minLength':
      return { msg: `${field} must not be empty`, type: 'string_too_short' }
    case 'maxLength':
      return { msg: `${field} must be at most ${String(params.limit)} characters`, type: 'string_too_long' }
    case 'pattern':
      return { msg: `${field} must not contain control characters`, type: 'string_pattern_mismatch' }
    case 'not':
      return { msg: `${field} must not be "." or "..": such a name cannot be read back through a URL`, type: 'name_reserved' }
    case 'enum':
      return { msg: `${field} must be one of: ${((params.allowedValues ?? []) as unknown[]).map(String).join(', ')}`, type: 'enum' }
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      return {
        msg: `unknown parameter ${field}: ${known.length === 0 ? 'this address takes none' : `the parameters here are ${known.join(', ')}`}`,
        type: 'extra_forbidden',
      }
    }
    case 'minimum':
      return { msg: `${field} must be at least ${String(params.limit)}`, type: 'greater_than_equal' }
    case 'maximum':
      return { msg: `${field} must be at most ${String(params.limit)}`, type: 'less_than_equal' }
    default:
      return { msg: `${field} ${error.message ?? 'is invalid'}`, type: error.keyword }
  }
}

/** Turns a Fastify validation error into one FastAPI-style entry per bad field. */
function toFieldErrors(error: ValidationFailureLike): FieldError[] {
  const prefix = LOC_PREFIX[error.validationContext ?? 'body'] ?? 'body'
  const byField = new Map<string, ErrorObject>()
  for (const item of (error.validation ?? []) as (FastifySchemaValidationError & ErrorObject)[]) {
    // A missing or an unknown property is named by the parameter, not by where it would be.
    const named =
      item.keyword === 'required'
        ? (item.params as { missingProperty?: string }).missingProperty
        : item.keyword === 'additionalProperties'
          ? (item.params as { additionalProperty?: string }).additionalProperty
          : undefined
    const path = item.instancePath.split('/').slice(1).concat(named ?? [])
    const field = path.join('.')
    const current = byField.get(field)
    const rank = (e: ErrorObject): number => {
      const index = PRIORITY.indexOf(e.keyword)
      return index === -1 ? PRIORITY.indexOf('*') : index
    }
    if (current === undefined || rank(item) < rank(current)) byField.set(field, item)
  }
  return [...byField].map(([field, item]) => ({
    loc: field === '' ? [prefix] : [prefix, ...field.split('.')],
    ...describe(item, field),
  }))
}
