// The money rules of docs/api.md, checked on src/money.ts alone: exact decimal parsing, the bounds, every
// refused form with its error type, and the way amounts go back out as JSON numbers.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { centsToNumber, formatCents, MAX_AMOUNT_TEXT, MAX_CENTS, parseMoney, type MoneyErrorType } from '../src/money.js'

const centsArb = fc.bigInt({ min: 0n, max: BigInt(MAX_CENTS) }).map(Number)

function cents(value: unknown, sourceText?: string): number {
  const result = parseMoney('price', sourceText ?? value)
  if (!result.ok) throw new Error(`expected ${JSON.stringify(value)} to be accepted, got ${result.type}: ${result.msg}`)
  return result.cents
}

function refusal(value: unknown, sourceText?: string): { type: MoneyErrorType; msg: string } {
  const result = parseMoney('price', sourceText ?? value)
  if (result.ok) throw new Error(`expected ${String(value)} to be refused, got ${result.cents} cents`)
  return { type: result.type, msg: result.msg }
}

/** The shortest decimal text of an amount: "12.34", "100", "0.3". */
function shortestText(amountCents: number): string {
  return formatCents(amountCents).replace(/\.?0+$/, '')
}

describe('parseMoney round trip', () => {
  it('reads back the cents of any amount written with two decimals', () => {
    fc.assert(
      fc.property(centsArb, (c) => {
        expect(cents(formatCents(c))).toBe(c)
      }),
    )
  })

  it('reads the same cents from a JSON number as from its text', () => {
    fc.assert(
      fc.property(centsArb, (c) => {
        const text = formatCents(c)
        expect(cents(Number(text))).toBe(c)
        expect(cents(Number(text), text)).toBe(c)
      }),
    )
  })

  it('reads exponent forms exactly: <cents>e-2 is those cents', () => {
    fc.assert(
      fc.property(centsArb, (c) => {
        expect(cents(`${c}e-2`)).toBe(c)
        expect(cents(`${c}00E-4`)).toBe(c)
      }),
    )
  })

  it('refuses any amount with a third significant decimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: BigInt(MAX_CENTS) }), fc.integer({ min: 1, max: 9 }), (c, digit) => {
        expect(refusal(`${formatCents(Number(c))}${digit}`).type).toBe('decimal_max_places')
      }),
    )
  })
})

describe('centsToNumber', () => {
  it('is the double that the decimal text parses to, and JSON writes it as the shortest text', () => {
    fc.assert(
      fc.property(centsArb, (c) => {
        const number = centsToNumber(c)
        expect(number).toBe(Number(formatCents(c)))
        expect(JSON.stringify(number)).toBe(shortestText(c))
      }),
    )
  })

  it.each([
    [1234, '12.34'],
    [10000, '100'],
    [30, '0.3'],
    [1, '0.01'],
    [0, '0'],
    [MAX_CENTS, '9999999999999.99'],
  ])('%i cents is the JSON number %s', (c, text) => {
    expect(JSON.stringify(centsToNumber(c))).toBe(text)
  })
})

describe('formatCents', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [30, '0.30'],
    [1234, '12.34'],
    [10000, '100.00'],
    [MAX_CENTS, MAX_AMOUNT_TEXT],
  ])('%i cents reads %s', (c, text) => {
    expect(formatCents(c)).toBe(text)
  })
})

describe('parseMoney accepts', () => {
  it.each([
    ['0', 0],
    ['0.01', 1],
    ['9999999999999.99', MAX_CENTS],
    ['12', 1200],
    ['12.5', 1250],
    ['12.340', 1234],
    ['12.3400000', 1234],
    ['.5', 50],
    ['5.', 500],
    ['+5', 500],
    ['0012', 1200],
    ['1e2', 10000],
    ['1E2', 10000],
    ['1e-2', 1],
    ['1234e-2', 1234],
    ['-0', 0],
    ['-0.00', 0],
    ['0e-5', 0],
  ])('the text %j as %i cents', (text, expected) => {
    expect(cents(text)).toBe(expected)
  })

  it.each([
    [0, 0],
    [0.01, 1],
    [12.34, 1234],
    [100, 10000],
    [0.3, 30],
    [9999999999999.99, MAX_CENTS],
  ])('the number %d as %i cents', (value, expected) => {
    expect(cents(value)).toBe(expected)
  })

  it('gives -0 back as plain 0, not -0', () => {
    expect(Object.is(cents('-0'), 0)).toBe(true)
    expect(Object.is(cents(-0), 0)).toBe(true)
  })
})

describe('parseMoney refuses', () => {
  it.each<[unknown, MoneyErrorType]>([
    ['', 'decimal_parsing'],
    ['   ', 'decimal_parsing'],
    ['NaN', 'decimal_parsing'],
    ['Infinity', 'decimal_parsing'],
    ['-Infinity', 'decimal_parsing'],
    ['0x10', 'decimal_parsing'],
    ['0b1', 'decimal_parsing'],
    ['0o7', 'decimal_parsing'],
    ['1_000', 'decimal_parsing'],
    [' 12', 'decimal_parsing'],
    ['12 ', 'decimal_parsing'],
    ['1,5', 'decimal_parsing'],
    ['12.34.5', 'decimal_parsing'],
    ['.', 'decimal_parsing'],
    ['e2', 'decimal_parsing'],
    ['1e', 'decimal_parsing'],
    ['--1', 'decimal_parsing'],
    ['Not a number', 'decimal_parsing'],
    ['١٢', 'decimal_parsing'],
    [Number.NaN, 'decimal_parsing'],
    [Number.POSITIVE_INFINITY, 'decimal_parsing'],
    [Number.NEGATIVE_INFINITY, 'decimal_parsing'],
    [true, 'decimal_type'],
    [false, 'decimal_type'],
    [null, 'decimal_type'],
    [undefined, 'decimal_type'],
    [{}, 'decimal_type'],
    [{ value: 12 }, 'decimal_type'],
    [[], 'decimal_type'],
    [[12], 'decimal_type'],
    [12n, 'decimal_type'],
    ['-0.01', 'greater_than_equal'],
    ['-5', 'greater_than_equal'],
    [-0.01, 'greater_than_equal'],
    ['10000000000000', 'less_than_equal'],
    [10000000000000, 'less_than_equal'],
    ['1e13', 'less_than_equal'],
    ['1e9999999999999999', 'less_than_equal'],
    ['12.345', 'decimal_max_places'],
    [12.345, 'decimal_max_places'],
    ['9999999999999.995', 'decimal_max_places'],
    ['0.001', 'decimal_max_places'],
    ['1e-3', 'decimal_max_places'],
  ])('%o with type %s', (value, type) => {
    expect(refusal(value).type).toBe(type)
  })

  // A positive amount far below a cent is not 0: the exponent must not underflow to zero.
  it.each(['1e-9999999999999999', '5e-99999999999999999999', '-1e-9999999999999999'])(
    'the tiny amount %s instead of rounding it to 0',
    (text) => {
      expect(parseMoney('price', text).ok).toBe(false)
    },
  )

  it('names the field in its message', () => {
    const result = parseMoney('tax', 'abc')
    expect(result).toMatchObject({ ok: false, type: 'decimal_parsing' })
    expect(!result.ok && result.msg).toMatch(/^tax /)
    expect(refusal('12.345').msg).toContain('2 digits')
    expect(refusal('10000000000000').msg).toContain(MAX_AMOUNT_TEXT)
    expect(refusal('-1').msg).toContain('at least 0')
  })
})

// The JSON parser hands over a number's source text where a double may not hold it (src/http/json-body.ts).
describe('parseMoney with the exact JSON source text', () => {
  it('refuses 12.3400000000000000001 although it parses to the double 12.34', () => {
    expect(Number('12.3400000000000000001')).toBe(12.34)
    expect(refusal(12.34, '12.3400000000000000001').type).toBe('decimal_max_places')
  })

  it('reads 1e2 and 12.340 from their source text', () => {
    expect(cents(100, '1e2')).toBe(10000)
    expect(cents(12.34, '12.340')).toBe(1234)
  })

  it('judges numbers beyond the double range by their text: too large, or too many decimals', () => {
    expect(refusal(Number.POSITIVE_INFINITY, '1e400').type).toBe('less_than_equal')
    expect(refusal(0, '1e-400').type).toBe('decimal_max_places')
  })

  it('refuses 0.30000000000000004 rather than calling it 0.3', () => {
    expect(refusal(0.1 + 0.2).type).toBe('decimal_max_places')
    expect(refusal(0.30000000000000004, '0.30000000000000004').type).toBe('decimal_max_places')
  })
})
