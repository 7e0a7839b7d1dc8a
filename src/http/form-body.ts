// The form body parser handed to @fastify/formbody. Its default (fast-querystring) keeps a malformed or
// non-UTF-8 percent-escape such as %FF as literal text, so "w%FF" would be stored as a name nobody typed.
import { HttpError } from './errors.js'

function decode(part: string): string {
  // Most keys and values need no decoding; skipping it keeps hostile bodies of bare `&` and `=` cheap.
  if (!part.includes('%') && !part.includes('+')) return part
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw new HttpError(400, 'The form body has a malformed or non-UTF-8 percent-escape (such as %FF); send UTF-8 text')
  }
}

/**
 * Parses application/x-www-form-urlencoded text in linear time, even for hostile bodies: a repeated key
 * gives an array of its values, appended to in place.
 */
export function parseFormBody(text: string): Record<string, string | string[]> {
  // The body reaches us already decoded, bytes that are not UTF-8 replaced by U+FFFD; browsers percent-encode
  // everything else, so a raw U+FFFD means such bytes, and storing it would store text nobody sent.
  if (text.includes('\uFFFD')) {
    throw new HttpError(400, 'The form body has bytes that are not UTF-8; send UTF-8 text, percent-encoded')
  }
  // No prototype, so keys such as __proto__ are plain data.
  const fields = Object.create(null) as Record<string, string | string[] | undefined>
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1))
    const existing = fields[key]
    if (existing === undefined) fields[key] = value
    else if (Array.isArray(existing)) existing.push(value)
    else fields[key] = [existing, value]
  }
  return fields as Record<string, string | string[]>
}

/** One text field of a parsed form body; '' when it is missing or repeated. */
export function formField(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined
  return typeof value === 'string' ? value : ''
}
