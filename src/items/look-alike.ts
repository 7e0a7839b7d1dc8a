// What a name looks like, as one string: two names with the same look-alike key read the same to a person
// and are one name (docs/api.md, "What counts as one name"). Unicode's recipe: compatibility forms folded
// (NFKC), every space a plain one, then the UTS #39 skeleton from Unicode's confusables table.
import { CONFUSABLES } from './confusables-data.js'

/** Every prototype of the table by code point: "А" (Cyrillic) -> "A", "1" -> "l", "m" -> "rn". */
const PROTOTYPES: ReadonlyMap<number, string> = new Map(
  CONFUSABLES.split('\n').map((line) => {
    const [from = '', ...to] = line.split(' ')
    return [Number.parseInt(from, 16), String.fromCodePoint(...to.map((cp) => Number.parseInt(cp, 16)))]
  }),
)

// Unicode's White_Space (tabs, line and paragraph separators, U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F,
// U+3000, ...): each is a plain space, and a run of them is one.
const SPACES = /\p{White_Space}+/gu
// UTS #39 leaves out what is not drawn before mapping. The name rules refuse these in new names; names
// stored before those rules may hold some.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu

function plainSpaces(text: string): string {
  return text.replace(SPACES, ' ').trim()
}

/** The UTS #39 skeleton: NFD, ignorables removed, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  let mapped = ''
  for (const char of text.normalize('NFD').replace(IGNORABLE, '')) {
    mapped += PROTOTYPES.get(char.codePointAt(0) ?? 0) ?? char
  }
  return mapped.normalize('NFD')
}

/**
 * The look-alike key of a name: NFKC ("Ａ" is "A", "ﬁ" is "fi"), every Unicode space a plain space with runs
 * collapsed and the ends trimmed, then the skeleton (whose prototypes may hold spaces too, so once more).
 * Case stays: "bucket" and "Bucket" look different, so they are two names (docs/api.md says why).
 */
export function lookAlikeKey(name: string): string {
  return plainSpaces(skeleton(plainSpaces(name.normalize('NFKC'))))
}

/** The code points of `name` that `other` lacks ("U+00A0"): what tells two look-alike names apart. */
export function differingCodePoints(name: string, other: string): string[] {
  const theirs = new Set(other)
  return [...new Set(Array.from(name).filter((char) => !theirs.has(char)))].map(
    (char) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  )
}
