// Money, in and out, in one place. In: validation (the `x-money` keyword of moneyField) turns what the client
// sent, text or a JSON number (as written: src/http/json-body.ts), into an Amount: integer hundredths and the
// text it came as, so no value ever passes through binary floating point. Out: centsToNumber for JSON,
// formatCents for people.
import type { KeywordDefinition, SchemaValidateFunction } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import { Decimal } from 'decimal.js'
import { Type, type TSchema } from 'typebox'

// A private Decimal type: enough precision for any accepted amount times 100, and no global config.
const Money = Decimal.clone({ precision: 40 })

/** 9 999 999 999 999.99 in hundredths: 15 significant digits, so every amount round-trips through a double. */
export const MAX_CENTS = 999_999_999_999_999
export const MAX_AMOUNT_TEXT = '9999999999999.99'

// Plain decimal notation only: no hex/binary/octal, no NaN or Infinity, no blanks around.
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

// The common case, digits with at most two decimals and at most 13 before the point (so at most MAX_CENTS),
// is converted in integer arithmetic, exactly, at a fraction of decimal.js's cost; all else goes through it.
const PLAIN_AMOUNT = /^(\d{1,13})(?:\.(\d{1,2}))?$/

export type MoneyErrorType = 'decimal_type' | 'decimal_parsing' | 'greater_than_equal' | 'less_than_equal' | 'decimal_max_places'

declare const hundredths: unique symbol
/** An amount in integer hundredths, as checked by parseMoney: a plain number cannot pass for one. */
export type Cents = number & { readonly [hundredths]: true }

/** An amount as it entered: its hundredths, and the text it was sent as (a form shown again shows that). */
export interface Amount {
  readonly cents: Cents
  readonly text: string
}

type MoneyResult = { ok: true; cents: Cents } | { ok: false; type: MoneyErrorType; msg: string }

function refuse(type: MoneyErrorType, msg: string): MoneyResult {
  return { ok: false, type, msg }
}

/** Checks an amount, text or a number, and converts it to hundredths. */
export function parseMoney(field: string, value: unknown): MoneyResult {
  let text: string
  if (typeof value === 'string') text = value
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value)
  else if (typeof value === 'number') return refuse('decimal_parsing', `${field} must be a finite number`)
  else return refuse('decimal_type', `${field} must be a number or a numeric string, such as 12.34`)
  const plain = PLAIN_AMOUNT.exec(text)
  if (plain !== null) return { ok: true, cents: (Number(plain[1]) * 100 + Number((plain[2] ?? '').padEnd(2, '0'))) as Cents }
  if (!DECIMAL_TEXT.test(text)) {
    return refuse('decimal_parsing', `${field} must be a decimal number such as 12.34 (digits, an optional point and sign)`)
  }
  const amount = new Money(text)
  if (amount.isNegative() && !amount.isZero()) return refuse('greater_than_equal', `${field} must be at least 0`)
  // decimal.js turns an exponent below its range into 0 (1e-9999999999999999): that amount is far below
  // a cent, not 0, so it is refused like any other with too many decimals instead of being rounded.
  const underflowed = amount.isZero() && /[1-9]/.test(text.split(/[eE]/, 1)[0] ?? '')
  if (underflowed || amount.decimalPlaces() > 2) {
    return refuse('decimal_max_places', `${field} must have at most 2 digits after the decimal point`)
  }
  const cents = amount.times(100)
  if (cents.greaterThan(MAX_CENTS)) return refuse('less_than_equal', `${field} must be at most ${MAX_AMOUNT_TEXT}`)
  // `+ 0` turns a "-0" amount into plain 0.
  return { ok: true, cents: (cents.toNumber() + 0) as Cents }
}

/** Hundredths as the JSON number with the same decimal value (12.34, 100, 0.3). */
export function centsToNumber(cents: number): number {
  // Exact: IEEE division is correctly rounded, so cents / 100 is the double nearest to the true
  // quotient, which is the very double that parsing its decimal text gives (below 2^53 cents).
  return cents / 100
}

/** Hundredths as text with two decimals, for people: 1234 -> "12.34", 100 -> "1.00". */
export function formatCents(cents: number): string {
  return new Money(cents).dividedBy(100).toFixed(2)
}

/** What a money field allows besides an amount; these are the `x-money` keyword's options in the OpenAPI document. */
interface MoneyRules {
  /** null is accepted and stays null. */
  allowNull?: true
  /** Blank text is accepted as no amount (null). */
  allowBlank?: true
}

/**
 * A money field: `accepts` is what a client may send (text, or a number or text), `rules` what else is
 * allowed. Validation hands the handler an Amount (or null where the rules allow no amount).
 */
export function moneyField<const Rules extends MoneyRules>(accepts: TSchema, rules: Rules, docs: { description: string; examples?: unknown[] }) {
  return Type.Unsafe<Rules extends { allowNull: true } | { allowBlank: true } ? Amount | null : Amount>({ ...accepts, 'x-money': rules, ...docs })
}

// A modifying keyword: on success it replaces what was sent by its Amount.
const validateMoney: SchemaValidateFunction = (rules: MoneyRules, data: unknown, _parentSchema?: unknown, cxt?: DataValidationCxt): boolean => {
  if (data === null && rules.allowNull === true) return true
  const set = (value: Amount | null): true => {
    if (cxt !== undefined) (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = value
    return true
  }
  if (typeof data === 'string' && data.trim() === '' && rules.allowBlank === true) return set(null)
  const result = parseMoney(String(cxt?.parentDataProperty ?? 'amount'), data)
  if (result.ok) return set({ cents: result.cents, text: String(data) })
  validateMoney.errors = [{ keyword: 'x-money', message: result.msg, params: { type: result.type } }]
  return false
}

/** The `x-money` validation keyword (moneyField): registered with the domain's other keywords. */
export const moneyKeyword: KeywordDefinition = { keyword: 'x-money', schemaType: 'object', errors: true, modifying: true, validate: validateMoney }
