// The derived fields of a stored item, computed here and nowhere else: the look-alike key that makes names
// that read the same one name, the sort key of people's name order, and the words a search finds. A create
// stores them beside the item (repository.ts); the migration (migration.ts) gives them to items stored
// before, or stored with an older KEYS_VERSION.
import { lookAlikeKey } from './look-alike.js'

/**
 * The version of the rules below (and of the confusables table). Bump it whenever a rule or the table
 * changes what a key would be: the migration then recomputes every stored item's keys at the next start.
 */
export const KEYS_VERSION = 1

export interface ItemKeys {
  /** What the name looks like (look-alike.ts); unique among items. */
  nameKey: string
  /** People's name order: the folded name, then the name itself as the tie-break. */
  sortName: string
  /** The folded words of the name and the description, each once. */
  words: string[]
  keysVersion: number
}

// Below every character a name can hold (control characters are refused in names), so that a folded name
// sorts before any longer one that starts with it: "bucket" before "bucket list".
const SEPARATOR = '\u0001'
const MARKS = /\p{M}/gu
const SPACE = /^\p{White_Space}$/u
const ASCII = /^[\x20-\x7e]*$/
// Folding a character costs a few normalizations; the characters of a catalogue repeat, so they are kept.
const FOLD_CACHE_MAX = 10_000
const foldedChars = new Map<string, string>()

/** One character, case- and accent-insensitive: lower, upper, then lower case ("ẞ" and "ß" are "ss", "ς" is "σ"), NFKD, marks removed. */
function foldChar(char: string): string {
  let folded = foldedChars.get(char)
  if (folded === undefined) {
    folded = SPACE.test(char) ? ' ' : char.toLowerCase().toUpperCase().toLowerCase().normalize('NFKD').replace(MARKS, '')
    if (foldedChars.size >= FOLD_CACHE_MAX) foldedChars.clear()
    foldedChars.set(char, folded)
  }
  return folded
}

/**
 * A text as people compare it when they look something up: case and accents do not count, compatibility
 * forms are their plain letters ("Ｃａｆé" is "cafe"). Folded one character at a time, so the fold of a
 * text that starts with p starts with the fold of p: a prefix search can use the folded order's index.
 */
export function fold(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase()
  let folded = ''
  for (const char of text) folded += foldChar(char)
  return folded
}

/** The sort key of people's name order: "bucket" beside "Bucket" ("Bucket" first), "Čajník" among the C's. */
export function sortName(name: string): string {
  return `${fold(name)}${SEPARATOR}${name}`
}

// Words as Unicode's word boundaries (UAX #29, with the dictionaries of Node's ICU for scripts written
// without spaces) find them; then only letters and digits count, so "don't" is "don" and "t" both in the
// stored item and in what is searched.
const segmenter = new Intl.Segmenter('und', { granularity: 'word' })
const NOT_WORD = /[^\p{L}\p{N}]+/u

const ANY_ASCII = /^\p{ASCII}*$/u
const NOT_ASCII_WORD = /[^a-z0-9]+/

/** The folded words of a text, in order, each once. */
export function wordsOf(text: string): string[] {
  // ASCII (most catalogues): the same words without the segmenter, which cost a tenth of an import's CPU
  // (docs/performance.md); in ASCII every word boundary falls on a character that is neither letter nor digit.
  if (ANY_ASCII.test(text)) return [...new Set(text.toLowerCase().split(NOT_ASCII_WORD).filter((word) => word !== ''))]
  return segmentedWords(text)
}

/** wordsOf for any text: words by Unicode's word boundaries, folded. */
export function segmentedWords(text: string): string[] {
  const words = new Set<string>()
  for (const { segment, isWordLike } of segmenter.segment(text)) {
    if (isWordLike !== true) continue
    for (const word of fold(segment).split(NOT_WORD)) if (word !== '') words.add(word)
  }
  return [...words]
}

/** Every derived field of an item with this name and description. */
export function itemKeys(name: string, description: string | null | undefined): ItemKeys {
  return {
    nameKey: lookAlikeKey(name),
    sortName: sortName(name),
    words: wordsOf(description === null || description === undefined || description === '' ? name : `${name}\n${description}`),
    keysVersion: KEYS_VERSION,
  }
}

/**
 * The look-alike key an item keeps when another item already held its key before keys existed (the
 * migration never merges or deletes one): the key, marked with the item's own name, so it stays unique.
 */
export function markedKey(nameKey: string, name: string): string {
  return `${nameKey}${SEPARATOR}${name}`
}
