// The JSON body parser. It differs from Fastify's in one way: a number under one of the exact keys (the money
// fields) that a double may not hold as written becomes its text, so that it is checked as written rather than
// as the nearest double (12.3400000000000000001 is not 12.34). Such fields take numeric strings too.
import type { FastifyInstance } from 'fastify'
import { HttpError } from './errors.js'

// A number with at most 15 significant digits and no exponent is held by a double exactly as written, so
// String(value) has its decimal value and its text is not needed.
const MAX_EXACT_DIGITS = 15

function needsText(number: string): boolean {
  return /[eE]/.test(number) || number.replace(/[-.]/g, '').replace(/^0+/, '').length > MAX_EXACT_DIGITS
}

// Node 22+ passes the source text of each primitive to the reviver (JSON.parse source text access).
type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown

const reviverFor = (exactKeys: ReadonlySet<string>): Reviver => function reviver(key, value, context) {
  // A body with __proto__ is refused, as Fastify does by default, so no later merge can be poisoned.
  if (key === '__proto__') throw new HttpError(400, 'The JSON body contains a forbidden "__proto__" key')
  // A lone surrogate escape ("\ud800") is valid JSON but not Unicode text: stored, it would become U+FFFD
  // (another string than the one answered), and as a name it cannot be put in a URL.
  if (typeof value === 'string' && !value.isWellFormed()) {
    throw new HttpError(400, 'The JSON body contains a string with a lone surrogate escape such as \\ud800; send valid Unicode text')
  }
  return typeof value === 'number' && exactKeys.has(key) && context.source !== undefined && needsText(context.source) ? context.source : value
}

// JSON tokens a reviver-free parse must not meet: a string (skipped) or a number.
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
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
    if (!token.startsWith('"') && needsText(token)) return true
  }
  return false
}

// Fatal: invalid bytes are refused rather than silently replaced by U+FFFD, which would store a name the client
// never sent (and make different byte strings collide on one name). ignoreBOM: true keeps a leading byte order
// mark in the text, so that it can be named.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function parseJsonBody(body: Buffer, reviver: Reviver): unknown {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8 text')
  }
  if (text.trim() === '') throw new HttpError(400, 'The request body is empty; send a JSON object')
  // RFC 8259 forbids sending one; refused with a clear message rather than JSON.parse's "Unexpected token".
  if (text.startsWith('\uFEFF')) throw new HttpError(400, 'The request body starts with a byte order mark (U+FEFF); send the JSON without it')
  try {
    return needsReviver(text) ? JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]) : JSON.parse(text)
  } catch (err) {
    if (err instanceof HttpError) throw err
    throw new HttpError(400, `The request body is not valid JSON: ${err instanceof Error ? err.message : 'unreadable'}`)
  }
}

/** Replaces Fastify's JSON parser; numbers under `exactKeys` that a double may not hold become their text. */
export function registerJsonBodyParser(fastify: FastifyInstance, exactKeys: ReadonlySet<string>): void {
  const reviver = reviverFor(exactKeys)
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, reviver))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
