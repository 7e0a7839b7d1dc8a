// The JSON body parser. It differs from Fastify's in one way: it remembers how each number was
// written, so money can be checked from its exact text rather than from a rounded double.
import type { FastifyInstance } from 'fastify'
import { HttpError } from './errors.js'

const numberTexts = new WeakMap<object, Map<string, string>>()

/** The JSON text of `holder[key]` when it was a number in the request body. */
export function numberText(holder: unknown, key: string | number): string | undefined {
  if (typeof holder !== 'object' || holder === null) return undefined
  return numberTexts.get(holder)?.get(String(key))
}

// Node 22+ passes the source text of each primitive to the reviver (JSON.parse source text access).
type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown

const reviver: Reviver = function (key, value, context) {
  // A body with __proto__ is refused, as Fastify does by default, so no later merge can be poisoned.
  if (key === '__proto__') throw new HttpError(400, 'The JSON body contains a forbidden "__proto__" key')
  // A lone surrogate escape ("\ud800") is valid JSON but not Unicode text: stored, it would become U+FFFD
  // (another string than the one answered), and as a name it cannot be put in a URL.
  if (typeof value === 'string' && !value.isWellFormed()) {
    throw new HttpError(400, 'The JSON body contains a string with a lone surrogate escape such as \\ud800; send valid Unicode text')
  }
  if (typeof value === 'number' && context.source !== undefined && typeof this === 'object' && this !== null) {
    let texts = numberTexts.get(this)
    if (texts === undefined) numberTexts.set(this, (texts = new Map<string, string>()))
    texts.set(key, context.source)
  }
  return value
}

// JSON tokens a reviver-free parse must not meet: a string (skipped) or a number. A number with at most 15
// significant digits and no exponent is held by a double exactly as written, so String(value) has its decimal
// value and its text is not needed.
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
const MAX_EXACT_DIGITS = 15
const MAX_FAST_BRACKETS = 32

/**
 * Whether the body needs the reviver: a number that a double may not hold as written, a `__proto__` key, a
 * \u escape (which may spell either, or a lone surrogate), or more than a few objects and arrays. Most bodies
 * need none of it, and JSON.parse with a reviver costs several times as much as without.
 */
function needsReviver(text: string): boolean {
  if (text.includes('__proto__') || text.includes('\\u')) return true
  // Deep nesting goes the reviver's way as before, whose recursion refuses it (400).
  let brackets = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c === 0x7b || c === 0x5b) && ++brackets > MAX_FAST_BRACKETS) return true
  }
  for (const [token] of text.matchAll(STRING_OR_NUMBER)) {
    if (token.startsWith('"')) continue
    if (token.includes('e') || token.includes('E')) return true
    if (token.replace(/[-.]/g, '').replace(/^0+/, '').length > MAX_EXACT_DIGITS) return true
  }
  return false
}

/** A JSON body's text parsed as the JSON create reads it (exact number texts kept); throws HttpError(400). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'The request body is empty; send a JSON object')
  // RFC 8259 forbids sending one; refused with a clear message rather than JSON.parse's "Unexpected token".
  if (text.startsWith('\uFEFF')) {
    throw new HttpError(400, 'The request body starts with a byte order mark (U+FEFF); send the JSON without it')
  }
  try {
    return needsReviver(text) ? JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]) : JSON.parse(text)
  } catch (err) {
    if (err instanceof HttpError) throw err
    const reason = err instanceof Error ? err.message : 'unreadable'
    throw new HttpError(400, `The request body is not valid JSON: ${reason}`)
  }
}

// Fatal: invalid bytes are refused rather than silently replaced by U+FFFD, which would store a name
// the client never sent (and make different byte strings collide on one name).
// ignoreBOM: true keeps a leading byte order mark in the text, so parseJsonBody can name it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The body as text; throws HttpError(400) when it is not valid UTF-8. */
function decodeUtf8Body(body: Buffer): string {
  try {
    return utf8.decode(body)
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8 text')
  }
}

export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(decodeUtf8Body(body as Buffer)))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
