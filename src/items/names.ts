// What makes a name one name: a single spelling per text (Unicode NFC), and nothing that hides or disguises
// it. The rules follow the spirit of PRECIS identifiers (RFC 8264): names are compared as people read them.
import type { KeywordDefinition, SchemaValidateFunction } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

// Explicit embeddings, overrides and isolates make a name display as a different one ("Trojan Source").
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u
// Whitespace, format characters (Cf) and other default-ignorable code points draw nothing on screen; nor does
// U+2800 BRAILLE PATTERN BLANK, which Unicode leaves out of Default_Ignorable_Code_Point as a Braille cell.
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]*$/u
// Inside a name they are refused, not removed (docs: names): "Item1" and "Item1<U+200B>" look alike, and
// dropping one silently would store a name other than the one sent. PRECIS (RFC 8264) disallows
// Default_Ignorable_Code_Point in its string classes for the same reason.
const INVISIBLE_INSIDE = /[\p{Default_Ignorable_Code_Point}\u2800]/u

/** A code point as people look it up, e.g. "U+200B". */
export function codePointName(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

export interface NameProblem {
  type: string
  msg: string
}

/** The composed (NFC) spelling of a text, as names are stored. */
export function nfc(text: string): string {
  return text.normalize('NFC')
}

/** The name as it is stored and looked up: trimmed, then composed, so "Čajník" has one spelling. */
function normalizeName(name: string): string {
  return nfc(name.trim())
}

/** Why `name` cannot be a name beyond its length and control characters, or undefined when it can. */
export function nameProblem(field: string, name: string): NameProblem | undefined {
  if (BIDI_CONTROL.test(name)) {
    return {
      type: 'name_bidi_control',
      msg: `${field} must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069): they make a name display as a different one`,
    }
  }
  if (name !== '' && INVISIBLE_ONLY.test(name)) {
    return {
      type: 'name_invisible',
      msg: `${field} must contain a visible character, not only spaces, zero-width or other invisible characters`,
    }
  }
  const invisible = INVISIBLE_INSIDE.exec(name)?.[0]
  if (invisible !== undefined) {
    return {
      type: 'name_invisible_character',
      msg: `${field} must not contain ${codePointName(invisible)}, a character that is not drawn: the name would look like another one; remove it`,
    }
  }
  return undefined
}

const validateName: SchemaValidateFunction = (_options: unknown, data: unknown, _parentSchema?: unknown, cxt?: DataValidationCxt): boolean => {
  if (typeof data !== 'string') return true
  const problem = nameProblem(String(cxt?.parentDataProperty ?? 'name'), data)
  if (problem === undefined) return true
  validateName.errors = [{ keyword: 'x-name', message: problem.msg, params: { type: problem.type } }]
  return false
}

/** The `x-name` validation keyword (schemas.ts's Name): the rules above, reported like any other field rule. */
export const nameKeyword: KeywordDefinition = { keyword: 'x-name', schemaType: 'object', errors: true, validate: validateName }

function normalizeMember(holder: unknown, key: string, normalize: (text: string) => string): void {
  if (typeof holder !== 'object' || holder === null) return
  const record = holder as Record<string, unknown>
  const value = record[key]
  if (typeof value === 'string') record[key] = normalize(value)
}

// The hooks below take a callback: they run on every request, and an async hook costs a promise each time.

/** A create's body with its name as stored: trimmed and composed, before its rules are checked. */
export function normalizeNameIn(body: unknown): void {
  normalizeMember(body, 'name', normalizeName)
}

/** preValidation hook: the body's name, before its rules are checked (both create routes). */
export function normalizeBodyName(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  normalizeNameIn(request.body)
  done()
}

/** preValidation hook: the cursors and prefix, compared with stored (normalized) names; the search words, trimmed. */
export function normalizeListQuery(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  normalizeMember(request.query, 'after', nfc)
  normalizeMember(request.query, 'before', nfc)
  normalizeMember(request.query, 'prefix', nfc)
  normalizeMember(request.query, 'q', normalizeName)
  done()
}

const MAX_CODE_POINT = 0x10ffff

/**
 * The least string above every string that starts with `prefix`, in code point order (the order MongoDB
 * compares strings in: UTF-8 bytes), or undefined when no string is (a prefix of U+10FFFF only). With it a
 * prefix search is the range [prefix, upper), which the _id index answers without a regex.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0) ?? 0)
  while (codePoints.length > 0) {
    const last = (codePoints.pop() ?? 0) + 1
    if (last <= MAX_CODE_POINT) {
      // Surrogate code points are not characters; the next one is U+E000.
      codePoints.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last)
      return String.fromCodePoint(...codePoints)
    }
  }
  return undefined
}
