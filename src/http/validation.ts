// Request validation: Ajv compiles the route schemas, and failures are reported in the original
// FastAPI demo's shape, one entry per bad field: {"loc": ["body", "price"], "msg": ..., "type": ...}.
import { Ajv, type ErrorObject, type Options, type SchemaValidateFunction } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import { nameProblem } from '../items/names.js'
import { parseMoney } from '../money.js'
import type { FieldError, ValidationFailureLike } from './errors.js'
import { numberText } from './json-body.js'

interface MoneyKeyword {
  allowNull?: boolean
  allowBlank?: boolean
}

const validateMoney: SchemaValidateFunction = (
  options: MoneyKeyword,
  data: unknown,
  _parentSchema?: unknown,
  cxt?: DataValidationCxt,
): boolean => {
  if (data === null && options.allowNull === true) return true
  if (typeof data === 'string' && data.trim() === '' && options.allowBlank === true) return true
  const field = String(cxt?.parentDataProperty ?? 'amount')
  const result = parseMoney(field, data, numberText(cxt?.parentData, field))
  if (result.ok) return true
  validateMoney.errors = [{ keyword: 'x-money', message: result.msg, params: { type: result.type } }]
  return false
}

const validateName: SchemaValidateFunction = (_options: unknown, data: unknown, _parentSchema?: unknown, cxt?: DataValidationCxt): boolean => {
  if (typeof data !== 'string') return true
  const problem = nameProblem(String(cxt?.parentDataProperty ?? 'name'), data)
  if (problem === undefined) return true
  validateName.errors = [{ keyword: 'x-name', message: problem.msg, params: { type: problem.type } }]
  return false
}

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ strict: true, strictTypes: false, ...options })
  ajv.addKeyword({ keyword: 'x-money', schemaType: 'object', errors: true, validate: validateMoney })
  ajv.addKeyword({ keyword: 'x-name', schemaType: 'object', errors: true, validate: validateName })
  return ajv
}

// Bodies are never coerced: `true` is not a price and null is not 0. Every bad field is reported.
const bodyAjv = createAjv({ allErrors: true, coerceTypes: false, useDefaults: true, verbose: true })
// Query strings and path parameters are text, so numbers in them are coerced.
const textAjv = createAjv({ allErrors: true, coerceTypes: true, useDefaults: true, verbose: true })

export function registerValidation(fastify: FastifyInstance): void {
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema),
  )
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
      return { msg: error.message ?? `${field} is not valid`, type: String(params.type) }
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
    case 'minimum':
      return { msg: `${field} must be at least ${String(params.limit)}`, type: 'greater_than_equal' }
    case 'maximum':
      return { msg: `${field} must be at most ${String(params.limit)}`, type: 'less_than_equal' }
    default:
      return { msg: `${field} ${error.message ?? 'is invalid'}`, type: error.keyword }
  }
}

/** Turns a Fastify validation error into one FastAPI-style entry per bad field. */
export function toFieldErrors(error: ValidationFailureLike): FieldError[] {
  const prefix = LOC_PREFIX[error.validationContext ?? 'body'] ?? 'body'
  const byField = new Map<string, ErrorObject>()
  for (const item of (error.validation ?? []) as (FastifySchemaValidationError & ErrorObject)[]) {
    const missing = item.keyword === 'required' ? (item.params as { missingProperty?: string }).missingProperty : undefined
    const path = item.instancePath.split('/').slice(1).concat(missing ?? [])
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
