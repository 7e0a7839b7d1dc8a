// A notice that belongs to a redirect, not to the address it leads to: the 303 sets a short-lived cookie, the
// page it leads to shows the notice once and clears it, so a reload or a bookmark shows the page alone.
// Works without JavaScript; with cookies off, the page shows no notice.
import cookie, { type CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

const COOKIE = 'item-store-notice'
// Long enough for the browser to follow the redirect, short enough to be gone by any later visit.
const OPTIONS: CookieSerializeOptions = { path: '/', maxAge: 60, httpOnly: true, sameSite: 'lax' }

/** Lets a route plugin's routes set and take notices: @fastify/cookie, unless the app has it already (sign-in). */
export async function useNotices(fastify: FastifyInstance): Promise<void> {
  // Without its hook: only the page that shows a notice reads the Cookie header.
  if (!fastify.hasReplyDecorator('setCookie')) await fastify.register(cookie, { hook: false })
}

/** The cookie for a notice meant for the page at `path` (the value is bound to that path). */
export function setNotice(reply: FastifyReply, path: string, notice: string): void {
  void reply.setCookie(COOKIE, `${notice} ${path}`, OPTIONS)
}

/** The request carries a notice cookie (for any page): the answer is then this request's own. */
export function carriesNotice(request: FastifyRequest): boolean {
  return request.headers.cookie?.includes(`${COOKIE}=`) === true
}

/** The notice meant for `path`, if the redirect left one; it is cleared either way, so it shows once. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply, path: string): string | undefined {
  const value = request.server.parseCookie(request.headers.cookie ?? '')[COOKIE]
  if (value === undefined) return undefined
  void reply.clearCookie(COOKIE, OPTIONS)
  const space = value.indexOf(' ')
  return space > 0 && value.slice(space + 1) === path ? value.slice(0, space) : undefined
}
