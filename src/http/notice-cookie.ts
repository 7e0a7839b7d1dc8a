// A notice that belongs to a redirect, not to the address it leads to: the 303 sets a short-lived cookie, the
// page it leads to shows the notice once and clears it, so a reload or a bookmark shows the page alone.
// Works without JavaScript; with cookies off, the page shows no notice.
import type { FastifyReply, FastifyRequest } from 'fastify'

const COOKIE = 'item-store-notice'
// Long enough for the browser to follow the redirect, short enough to be gone by any later visit.
const MAX_AGE_S = 60

/** The cookie for a notice meant for the page at `path` (the value is bound to that path). */
export function setNotice(reply: FastifyReply, path: string, notice: string): void {
  void reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(`${notice} ${path}`)}; Path=/; Max-Age=${MAX_AGE_S}; HttpOnly; SameSite=Lax`)
}

/** The request carries a notice cookie (for any page): the answer is then this request's own. */
export function carriesNotice(request: FastifyRequest): boolean {
  return request.headers.cookie?.includes(`${COOKIE}=`) === true
}

/** The notice meant for `path`, if the redirect left one; it is cleared either way, so it shows once. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply, path: string): string | undefined {
  const raw = request.headers.cookie
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`))
  if (raw === undefined) return undefined
  void reply.header('set-cookie', `${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`)
  let value: string
  try {
    value = decodeURIComponent(raw.slice(COOKIE.length + 1))
  } catch {
    return undefined
  }
  const space = value.indexOf(' ')
  return space > 0 && value.slice(space + 1) === path ? value.slice(0, space) : undefined
}
