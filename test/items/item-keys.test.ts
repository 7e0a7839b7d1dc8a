// The derived keys, without a database: the look-alike key (NFKC, spaces, the UTS #39 skeleton), the fold
// behind people's name order and the words a search finds.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONFUSABLES_VERSION } from '../../src/items/confusables-data.js'
import { fold, itemKeys, segmentedWords, sortName, wordsOf } from '../../src/items/item-keys.js'
import { lookAlikeKey, skeleton } from '../../src/items/look-alike.js'

// Every character of Unicode's White_Space, from the engine's own tables.
const WHITE_SPACE: string[] = []
for (let cp = 0; cp <= 0x3000; cp++) if (/\p{White_Space}/u.test(String.fromCodePoint(cp))) WHITE_SPACE.push(String.fromCodePoint(cp))

describe('the look-alike key', () => {
  it('comes from Unicode 17 confusables', () => {
    expect(CONFUSABLES_VERSION).toBe('17.0.0')
  })

  it.each<[string, string]>([
    ['Item A', 'Item\u00A0A'],
    ['Item A', 'Item \u0410'], // Cyrillic
    ['Item A', 'Item \u0391'], // Greek
    ['Item A', 'Item \uFF21'], // fullwidth
    ['Item A', 'Item   A'],
    ['paypal', 'p\u0430yp\u0430l'],
    ['Michael', 'Michae1'],
    ['modern', 'rnodern'],
    ['office', 'o\uFB03ce'], // ligature ffi
    ['Kelvin', '\u212Aelvin'],
    ['Café', 'Cafe\u0301'],
  ])('%j and %j read the same', (a, b) => {
    expect(lookAlikeKey(a)).toBe(lookAlikeKey(b))
  })

  it.each<[string, string]>([
    ['bucket', 'Bucket'],
    ['Item A', 'Item B'],
    ['Item A', 'ItemA'],
    ['Čaj', 'Caj'],
    ['Zürich', 'Zurich'],
  ])('%j and %j do not: case, letters, spaces and accents that show count', (a, b) => {
    expect(lookAlikeKey(a)).not.toBe(lookAlikeKey(b))
  })

  it('any space, or run of spaces, between words reads as one space (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,6}$/), { minLength: 1, maxLength: 5 }), fc.array(fc.array(fc.constantFrom(...WHITE_SPACE), { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 5 }), (words, gaps) => {
        const plain = words.join(' ')
        const spaced = words.map((word, i) => (i === 0 ? word : `${gaps[i]?.join('') ?? ' '}${word}`)).join('')
        expect(lookAlikeKey(spaced)).toBe(lookAlikeKey(plain))
      }),
    )
  })

  it('the skeleton of a skeleton is itself (UTS #39), on names of letters from several scripts (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aAоОеЕіІlI1|0OмmrnΑαΒβ Ｍｍ'.split('')), maxLength: 12 }), (text) => {
        expect(skeleton(skeleton(text))).toBe(skeleton(text))
      }),
    )
  })
})

describe('people’s name order and the words', () => {
  it('folds case, accents and compatibility forms, one character at a time (property: the fold of a concatenation)', () => {
    expect(fold('Čajník')).toBe('cajnik')
    expect(fold('STRAẞE Straße')).toBe('strasse strasse')
    expect(fold('ΟΔΟΣ ὁδός')).toBe('οδοσ οδοσ')
    expect(fold('Ｔｅａ')).toBe('tea')
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 }), (a, b) => {
        expect(fold(a + b)).toBe(fold(a) + fold(b))
      }),
    )
  })

  it('sorts "bucket" beside "Bucket" and "Čajník" among the C’s', () => {
    const names = ['Zürich', 'bucket', 'Čajník', 'Bucket', 'Cedar', 'apple', 'Ωμέγα', 'Чайник', 'bucket list']
    expect([...names].sort((a, b) => (sortName(a) < sortName(b) ? -1 : 1))).toEqual(['apple', 'Bucket', 'bucket', 'bucket list', 'Čajník', 'Cedar', 'Zürich', 'Ωμέγα', 'Чайник'])
  })

  it('finds the same words in ASCII text without the segmenter as with it (property)', () => {
    const unit = fc.constantFrom(...' \t\n\r_\'.,:;-!?"#$%&()*+/<=>@[\\]^`{|}~\u0000\u007faAbZ019xe'.split(''))
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit, maxLength: 16 }), fc.string({ unit: 'binary-ascii', maxLength: 16 })), (text) => {
        expect(wordsOf(text)).toEqual(segmentedWords(text))
      }),
      { numRuns: 5_000 },
    )
  })

  it('finds the words of the name and the description, folded, each once', () => {
    expect(wordsOf('Naïve café — CAFÉ crème, 1 litre (don’t shake)')).toEqual(['naive', 'cafe', 'creme', '1', 'litre', 'don', 't', 'shake'])
    expect(itemKeys('Bucket', 'A rusty bucket')).toMatchObject({ nameKey: 'Bucket', words: ['bucket', 'a', 'rusty'], keysVersion: 1 })
  })
})
