// Request validation: Ajv compiles the route schemas. Money fields are declared with moneyField(): the
// `x-money` keyword checks an amount with decimal.js and hands the handler its integer hundredths.
import { Ajv, type KeywordDefinition, type Options, type SchemaValidateFunction } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import type { FastifyInstance } from 'fastify'
import { Type, type TSchema, type TUnsafe } from 'typebox'
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

// Bench only (the cost table's money-check row): hundredths by plain rounding, with no check at all.
const roundMoney: SchemaValidateFunction = (_rules: MoneyRules, data: unknown, _parentSchema?: unknown, cxt?: DataValidationCxt): boolean => {
  if (cxt !== undefined) (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = data === null || data === '' ? null : Math.round(Number(data) * 100)
  return true
}

function createAjv(options: Options, keywords: readonly KeywordDefinition[], money: SchemaValidateFunction): Ajv {
  const ajv = new Ajv({ strict: true, strictTypes: false, ...options })
  ajv.addKeyword({ keyword: 'x-money', schemaType: 'object', errors: true, modifying: true, validate: money })
  for (const keyword of keywords) ajv.addKeyword(keyword)
  return ajv
}

interface Validators {
  body: Ajv
  text: Ajv
}

// One pair per set of keywords, shared by every app in the process, so each schema is compiled once.
const validatorsFor = new WeakMap<readonly KeywordDefinition[], Validators>()

function createValidators(keywords: readonly KeywordDefinition[], money: SchemaValidateFunction): Validators {
  return {
    // Bodies are never coerced: `true` is not a price and null is not 0. Every bad field is reported.
    body: createAjv({ allErrors: true, coerceTypes: false, useDefaults: true, verbose: true }, keywords, money),
    // Query strings and path parameters are text, so numbers in them are coerced.
    text: createAjv({ allErrors: true, coerceTypes: true, useDefaults: true, verbose: true }, keywords, money),
  }
}

/**
 * Compiles the route schemas with Ajv, `keywords` being the domain's own (such as a name rule). Pass the
 * same array every time. exactMoney: false only in the bench's cost table (AppOptions.without).
 */
export function registerValidation(
  fastify: FastifyInstance,
  keywords: readonly KeywordDefinition[] = [],
  { exactMoney = true } = {},
): void {
  let validators = exactMoney ? validatorsFor.get(keywords) : createValidators(keywords, roundMoney)
  if (validators === undefined) {
    validators = createValidators(keywords, validateMoney)
    validatorsFor.set(keywords, validators)
  }
  const { body, text } = validators
  fastify.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema))
}
