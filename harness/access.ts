// Access set-ups for tests and the bench: keys and editors as the service reads them, and a cookie jar
// small enough to follow one signed-in person through the pages.
import { randomBytes } from 'node:crypto'
import { OPEN_ACCESS, type AccessConfig } from '../src/auth/access.js'
import { hashPassword, parseHash, type ScryptHash } from '../src/auth/passwords.js'
import { FORM_TYPE, send, type Answer, type Target } from './http.js'

/** A key as `openssl rand -base64 32` makes one. */
export function newKey(): string {
  return randomBytes(32).toString('base64')
}

// The lowest cost the editors file accepts (N = 2^14, p = 1), an eighth of the default's CPU: the tests sign in
// dozens of times on a shared machine. The default is what `npm run editor` writes, tested there.
const TEST_COST = { ln: 14, r: 8, p: 1 } as const

/** An editor as EDITORS_FILE gives one: the name and a parsed scrypt hash of `password` (at `cost`). */
export async function editor(name: string, password: string, cost: { ln: number; r: number; p: number } = TEST_COST): Promise<{ name: string; hash: ScryptHash }> {
  return { name, hash: parseHash(await hashPassword(password, cost)) as ScryptHash }
}

export function accessConfig(parts: Partial<AccessConfig>): AccessConfig {
  return { ...OPEN_ACCESS, ...parts }
}

const SESSION_COOKIE = 'item-store-session'

/** Each cookie an answer sets, as name=value (the harness joins repeated headers with ", "). */
export function setCookies(answer: Answer): string[] {
  const header = answer.headers['set-cookie']
  if (header === undefined) return []
  // A new cookie starts after ", " with name=; an Expires date's ", " is followed by a day number and a space.
  return header.split(/,\s*(?=[\w!#$%&'*+.^`|~-]+=)/).map((cookie) => cookie.split(';', 1)[0] ?? '')
}

/** The session cookie's name=value from an answer's Set-Cookie, or undefined when none was set. */
export function sessionCookie(answer: Answer): string | undefined {
  return setCookies(answer).find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`))
}

/** The CSRF token of the first form on a page. */
export function csrfToken(page: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1]
  if (token === undefined) throw new Error('the page has no CSRF token')
  return token
}

/** One browser's cookies: sends them with each request and keeps what the answers set (an empty value clears). */
export class Visitor {
  private readonly jar = new Map<string, string>()

  /** `headers` go with every request, e.g. X-Forwarded-For to come from another address through a trusted proxy. */
  constructor(
    readonly target: Target,
    private readonly extra: Record<string, string> = {},
  ) {}

  /** The session cookie (name=value), or undefined when there is none. */
  get cookie(): string | undefined {
    const value = this.jar.get(SESSION_COOKIE)
    return value === undefined ? undefined : `${SESSION_COOKIE}=${value}`
  }

  set cookie(pair: string | undefined) {
    if (pair === undefined) this.jar.delete(SESSION_COOKIE)
    else this.jar.set(SESSION_COOKIE, pair.slice(pair.indexOf('=') + 1))
  }

  private headers(): Record<string, string> {
    const cookies = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ')
    return cookies === '' ? { ...this.extra } : { ...this.extra, cookie: cookies }
  }

  async get(path: string): Promise<Answer> {
    return this.keep(await send(this.target, { path, headers: this.headers() }))
  }

  async postForm(path: string, fields: Record<string, string>): Promise<Answer> {
    const headers = { ...FORM_TYPE, ...this.headers() }
    return this.keep(await send(this.target, { method: 'POST', path, headers, body: new URLSearchParams(fields).toString() }))
  }

  /** Signs in through the sign-in page; returns the answer to the POST. */
  async signIn(name: string, password: string, next = '/'): Promise<Answer> {
    const page = await this.get(`/signin?next=${encodeURIComponent(next)}`)
    return this.postForm('/signin', { name, password, next, _csrf: csrfToken(page.text) })
  }

  private keep(answer: Answer): Answer {
    for (const cookie of setCookies(answer)) {
      const at = cookie.indexOf('=')
      const name = cookie.slice(0, at)
      const value = cookie.slice(at + 1)
      if (value === '') this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return answer
  }
}
