// The spreadsheet guard of the CSV export (src/items/csv.ts): no text value a spreadsheet would run as a formula
// leaves unguarded, and the import's undoing gives back exactly the text that was exported, for any text.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { guardCell, unguardCell } from '../../src/items/csv.js'

const FORMULA_START = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']

describe('the CSV spreadsheet guard', () => {
  it('guards what starts like a formula, and the guard itself', () => {
    expect(guardCell('=SUM(A1)')).toBe("'=SUM(A1)")
    expect(guardCell('-2')).toBe("'-2")
    expect(guardCell("'quoted")).toBe("''quoted")
    expect(guardCell('plain')).toBe('plain')
    expect(guardCell(' =not at the start')).toBe(' =not at the start')
    expect(guardCell('')).toBe('')
  })

  it('undoes exactly what it did, and leaves a text it would not have written alone', () => {
    expect(unguardCell("'=SUM(A1)")).toBe('=SUM(A1)')
    expect(unguardCell("''quoted")).toBe("'quoted")
    // Typed in a spreadsheet, not written by the export: kept as it is.
    expect(unguardCell("'plain")).toBe("'plain")
    expect(unguardCell("'")).toBe("'")
  })

  it('round-trips every text, and no guarded text starts like a formula', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom(...FORMULA_START, "'", 'a', ' '), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 12 })
    fc.assert(
      fc.property(text, (value) => {
        const written = guardCell(value)
        expect(unguardCell(written)).toBe(value)
        expect(FORMULA_START.includes(written.charAt(0))).toBe(false)
      }),
      { numRuns: 5_000 },
    )
  })
})
