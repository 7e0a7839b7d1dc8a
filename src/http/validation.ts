// Request validation: Ajv compiles the route schemas. Money fields are declared with moneyField(): the
// `x-money` keyword checks an amount with decimal.js and hands the handler its integer hundredths.
import { Ajv, type Options, type SchemaValidateFunction } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import type { FastifyInstance } from 'fastify'
import { Type, type TSchema, type TUnsafe } from 'typebox'
import { nameProblem } from '../items/names.js'
import { parseMoney, type Cents } from '../money.js'
import { numberText } from './json-body.js'

/** The options of the `x-money` keyword, as they appear in the OpenAPI document. */
interface MoneyRules {
  /** null is accepted and stays null. */
  allowNull?: true
  /** Blank text is accepted as no amount (null). */
  allowBlank?: true
}

type MoneyValue<Rules extends MoneyRules> = Rules extends { allowNull: true } | { allowBlank: true } ? Cents | null : Cents

/**
 * A money field: `accepts` is what a client may send (text, or a number or text), `rules` what else is
 * allowed. The handler's type, and the value it gets, is the amount in hundredths.
 */
export function moneyField<const Rules extends MoneyRules>(
  accepts: TSchema,
  rules: Rules,
  docs: { description: string; examples?: unknown[] },
): TUnsafe<MoneyValue<Rules>> {
  return Type.Unsafe<MoneyValue<Rules>>({ ...accepts, 'x-money': rules, ...docs })
}

// A modifying keyword: on success it replaces the amount in the body by its hundredths.
const validateMoney: SchemaValidateFunction = (
  rules: MoneyRules,
  data: unknown,
  _parentSchema?: unknown,
  cxt?: DataValidationCxt,
): boolean => {
  if (data === null && rules.allowNull === true) return true
  const set = (value: Cents | null): true => {
    if (cxt !== undefined) (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = value
    return true
  }
  if (typeof data === 'string' && data.trim() === '' && rules.allowBlank === true) return set(null)
  const field = String(cxt?.parentDataProperty ?? 'amount')
  const result = parseMoney(field, data, numberText(cxt?.parentData, field))
  if (result.ok) return set(result.cents)
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

// Bench only (the cost table's money-check row): hundredths by plain rounding, with no check at all.
const roundMoney: SchemaValidateFunction = (_rules: MoneyRules, data: unknown, _parentSchema?: unknown, cxt?: DataValidationCxt): boolean => {
  if (cxt !== undefined) (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = data === null || data === '' ? null : Math.round(Number(data) * 100)
  return true
}

function createAjv(options: Options, money = validateMoney): Ajv {
  const ajv = new Ajv({ strict: true, strictTypes: false, ...options })
  ajv.addKeyword({ keyword: 'x-money', schemaType: 'object', errors: true, modifying: true, validate: money })
  ajv.addKeyword({ keyword: 'x-name', schemaType: 'object', errors: true, validate: validateName })
  return ajv
}

// Bodies are never coerced: `true` is not a price and null is not 0. Every bad field is reported.
const bodyAjv = createAjv({ allErrors: true, coerceTypes: false, useDefaults: true, verbose: true })
// Query strings and path parameters are text, so numbers in them are coerced.
const textAjv = createAjv({ allErrors: true, coerceTypes: true, useDefaults: true, verbose: true })

/** exactMoney: false only in the bench's cost table (AppOptions.without). */
export function registerValidation(fastify: FastifyInstance, { exactMoney = true } = {}): void {
  const body = exactMoney ? bodyAjv : createAjv({ allErrors: true, coerceTypes: false, useDefaults: true, verbose: true }, roundMoney)
  const text = exactMoney ? textAjv : createAjv({ allErrors: true, coerceTypes: true, useDefaults: true, verbose: true }, roundMoney)
  fastify.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema))
}
