// The error contract: every failure is answered by sendError, as JSON or as the route's page. Validation
// failures are reported in the original FastAPI demo's shape, one entry per bad field:
// {"loc": ["body", "price"], "msg": ..., "type": ...}.
import type { ErrorObject } from 'ajv'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { validateHeaderValue } from 'node:http'
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

/** How a route that answers with pages shows a failure. */
export interface ErrorPages {
  /** 422: the fields and what is wrong with each. */
  invalid(fieldErrors: FieldError[]): string
  /** Any other failure; `error` is what was thrown, for pages of a domain error of the route's own. */
  failed(statusCode: number, detail: string, error: unknown): string
}

/** Seconds a client is told to wait after a 503 the service expects to pass soon. */
export const RETRY_AFTER_S = 1

// Fastify's own client errors, reworded to say what to fix.
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `The request body is larger than ${BODY_LIMIT_TEXT}`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body',
  // @fastify/csrf-protection (src/auth/access.ts): a form from before the sign-in, another session's, or another site's.
  FST_CSRF_INVALID_TOKEN: 'The form is out of date or did not come from this site, so nothing was stored; reload the form and send it again',
  FST_CSRF_MISSING_SECRET: 'The form is out of date or did not come from this site, so nothing was stored; reload the form and send it again',
}

/** The status and detail of a failure other than a validation one; 500 for one nobody planned for (a bug). */
function answerOf(error: unknown): { statusCode: number; detail: string } {
  if (error instanceof HttpError) return error
  const { statusCode, code = '', message } = error as Partial<FastifyError>
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return { statusCode: 500, detail: 'Internal Server Error' }
  return { statusCode, detail: FASTIFY_MESSAGES[code] ?? (statusCode === 415 ? 'Unsupported Content-Type' : (message ?? 'Bad request')) }
}

/**
 * Answers a failure: {"detail": ...} as JSON, or with `pages` the route's page for it. Logs only a failure
 * nobody planned for (a bug), answered 500 without its internals.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, pages?: ErrorPages): FastifyReply {
  const { validation, validationContext } = error as Partial<FastifyError>
  const fieldErrors = error instanceof FieldErrors ? error.fieldErrors : validation && toFieldErrors(validation as ErrorObject[], validationContext)
  if (fieldErrors !== undefined) return pages === undefined ? reply.code(422).send({ detail: fieldErrors }) : sendHtml(reply, 422, pages.invalid(fieldErrors))
  const { statusCode, detail } = answerOf(error)
  // A 503 (database unavailable, shutting down) is temporary: say when to come back.
  if (statusCode === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', RETRY_AFTER_S)
  if (statusCode === 500) {
    request.log.error({ err: error }, 'request failed')
    // A header Node refuses to write (text from the request in it) would fail this answer too, and Fastify's
    // last-resort answer shows the error's message: the 500 goes without it.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      try {
        validateHeaderValue(name, value as string)
      } catch {
        reply.removeHeader(name)
      }
    }
  }
  return pages === undefined ? reply.code(statusCode).send({ detail }) : sendHtml(reply, statusCode, pages.failed(statusCode, detail, error))
}

const LOC_PREFIX: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

// Which of several errors on one field explains it best. A rule of the branch whose type matched
// (maxLength of a string in string-or-null) says more than "matches none of the types"; '*' is any such rule.
// A union of constants says them all (anyOf), not only the first branch's.
const PRIORITY = ['x-money', 'required', 'x-name', '*', 'anyOf', 'const', 'type']
const rank = (error: ErrorObject): number => PRIORITY.indexOf(PRIORITY.includes(error.keyword) ? error.keyword : '*')

function typeName(schema: unknown): string {
  const { type, const: constant } = schema as { type?: unknown; const?: unknown }
  if (constant !== undefined) return JSON.stringify(constant)
  const names: Record<string, string> = { null: 'null', integer: 'a whole number', object: 'an object', array: 'an array' }
  return typeof type === 'string' ? (names[type] ?? `a ${type}`) : 'a valid value'
}

const quoted = (values: unknown[]): string => values.map((value) => JSON.stringify(value)).join(', ')

// Each keyword's message and type, for a field.
const DESCRIBE: Record<string, (field: string, params: Record<string, unknown>, error: ErrorObject) => [msg: string, type: string]> = {
  'x-money': (field, params, error) => [error.message ?? `${field} is not a valid amount`, String(params.type)],
  'x-name': (field, params, error) => [error.message ?? `${field} is not a valid name`, String(params.type)],
  required: (field) => [`${field} is required`, 'missing'],
  type: (field, params, error) =>
    field === '' ? ['The request body must be a JSON object', 'model_attributes_type'] : [`${field} must be ${typeName(error.parentSchema)}`, `${String(params.type)}_type`],
  anyOf: (field, _params, error) => [`${field} must be ${(Array.isArray(error.schema) ? (error.schema as unknown[]) : []).map(typeName).join(' or ')}`, 'union_type'],
  const: (field, params) => [`${field} must be ${JSON.stringify(params.allowedValue)}`, 'literal_error'],
  enum: (field, params) => [`${field} must be one of ${quoted(params.allowedValues as unknown[])}`, 'enum'],
  minLength: (field) => [`${field} must not be empty`, 'string_too_short'],
  maxLength: (field, params) => [`${field} must be at most ${String(params.limit)} characters`, 'string_too_long'],
  pattern: (field) => [`${field} must not contain control characters`, 'string_pattern_mismatch'],
  not: (field) => [`${field} must not be "." or "..": such a name cannot be read back through a URL`, 'name_reserved'],
  minimum: (field, params) => [`${field} must be at least ${String(params.limit)}`, 'greater_than_equal'],
  maximum: (field, params) => [`${field} must be at most ${String(params.limit)}`, 'less_than_equal'],
  // An unknown query parameter (querystring schemas say additionalProperties: false), with those there are.
  additionalProperties: (field, _params, error) => {
    const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
    return [`unknown parameter ${field}: ${known.length === 0 ? 'this address takes none' : `the parameters here are ${known.join(', ')}`}`, 'extra_forbidden']
  },
}

/** Turns Ajv's errors into one FastAPI-style entry per bad field. */
export function toFieldErrors(errors: ErrorObject[], context = 'body'): FieldError[] {
  const prefix = LOC_PREFIX[context] ?? 'body'
  const byField = new Map<string, ErrorObject>()
  for (const error of errors) {
    // A missing or an unknown property is named by itself, not by the object it belongs to.
    const params = error.params as { missingProperty?: string; additionalProperty?: string }
    const named = error.keyword === 'required' ? params.missingProperty : error.keyword === 'additionalProperties' ? params.additionalProperty : undefined
    const field = error.instancePath.split('/').slice(1).concat(named ?? []).join('.')
    const current = byField.get(field)
    if (current === undefined || rank(error) < rank(current)) byField.set(field, error)
  }
  return [...byField].map(([field, error]) => {
    const [msg, type] = DESCRIBE[error.keyword]?.(field, error.params as Record<string, unknown>, error) ?? [`${field} ${error.message ?? 'is invalid'}`, error.keyword]
    return { loc: field === '' ? [prefix] : [prefix, ...field.split('.')], msg, type }
  })
}
