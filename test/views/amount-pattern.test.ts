// The form's own check of an amount (the pattern attribute, compiled as browsers do with the v flag) never
// refuses an amount the server takes, and refuses what plainly breaks a rule.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseMoney } from '../../src/money.js'
import { AMOUNT_PATTERN, entryPage } from '../../src/views/form-pages.js'

const browser = new RegExp(`^(?:${AMOUNT_PATTERN})$`, 'v')
const serverTakes = (text: string): boolean => parseMoney('price', text).ok

describe('the amount pattern', () => {
  it('is the one the entry form uses for price and tax', () => {
    const patterns = [...entryPage().matchAll(/\bpattern="([^"]*)"/g)].map((match) => match[1])
    expect(patterns).toEqual([AMOUNT_PATTERN, AMOUNT_PATTERN])
  })

  it.each(['12', '12.3', '12.34', '12.340', '12.', '.5', '0', '0.000', '+5', '-0', '-0.00', '1e2', '1.5E1', '12340e-3', '9999999999999.99'])(
    '%s: taken by the server and by the browser',
    (text) => {
      expect(serverTakes(text)).toBe(true)
      expect(browser.test(text)).toBe(true)
    },
  )

  it.each(['12.345', '-1', '-0.01', 'abc', '1,5', '', ' 12', '0x10', 'NaN', 'Infinity', '1e', '.', '+', '1.2.3'])(
    '%s: refused by both',
    (text) => {
      expect(serverTakes(text)).toBe(false)
      expect(browser.test(text)).toBe(false)
    },
  )

  it('never refuses what the server takes (generated amounts)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[+-]?[0-9]{0,6}(\.[0-9]{0,4})?([eE][+-]?[0-9]{1,2})?$/), (text) => {
        if (serverTakes(text)) expect(browser.test(text), text).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })

  it('without an exponent, agrees with the server exactly (generated amounts)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[+-]?[0-9]{0,6}(\.[0-9]{0,4})?$/), (text) => {
        expect(browser.test(text), text).toBe(serverTakes(text))
      }),
      { numRuns: 2_000 },
    )
  })
})
