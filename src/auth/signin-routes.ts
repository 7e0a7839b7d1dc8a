// GET /signin, POST /signin and POST /signout, while writes are closed. Attempts are counted in MongoDB (signin-store.ts), so every
// instance shares one limit: per address (before the body is read), per name from one address, and a bounded
// slow-down per name from anywhere, so a stranger cannot lock an editor out (docs/security.md).
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireContentType } from '../http/content-type.js'
import { HttpError, sendError } from '../http/errors.js'
import { formField } from '../http/form-body.js'
import { htmlAnswer, safeNext, sendHtml } from '../http/html-reply.js'
import { signinErrorPages, signinPage, signinUnavailablePage, type SigninView } from '../views/signin-page.js'
import { visibleText } from '../views/visible-text.js'
import { hasSessions, writesClosed, type AccessConfig } from './access.js'
import { EDITOR_NAME_MAX, fingerprint, nameKey, passwordChecker } from './passwords.js'

// Attempts per window; past perNameBeforeSlowing, each further attempt at one name waits SLOW_STEP_MS more, at most SLOW_MAX_MS.
const DEFAULT_LIMITS = { perAddress: 30, perNameAndAddress: 10, perNameBeforeSlowing: 10, windowMs: 10 * 60_000 }
export type SigninLimits = typeof DEFAULT_LIMITS
const [SLOW_STEP_MS, SLOW_MAX_MS] = [250, 3_000]
const FORM = 'application/x-www-form-urlencoded'

export default async function signinRoutes(fastify: FastifyInstance, { access, limits }: { access: AccessConfig; limits?: Partial<SigninLimits> | undefined }) {
  if (!writesClosed(access)) return
  const page = { tags: ['sign-in'], produces: ['text/html'] }
  if (!hasSessions(access)) {
    const schema = { ...page, summary: 'Says that nobody can sign in here: no editors are set up', response: { 200: htmlAnswer('The notice') } }
    fastify.get('/signin', { schema }, (_request, reply) => sendHtml(reply, 200, signinUnavailablePage()))
    return
  }
  const { perAddress, perNameAndAddress, perNameBeforeSlowing, windowMs } = { ...DEFAULT_LIMITS, ...limits }
  const byKey = new Map(access.editors.map((editor) => [nameKey(editor.name), editor]))
  const check = passwordChecker(access.editors.map((editor) => editor.hash))

  async function limit(reply: FastifyReply, key: string, max: number, what: string): Promise<void> {
    const { count, leftMs } = await fastify.signinStore.count(key, windowMs)
    if (count <= max) return
    const minutes = Math.max(1, Math.ceil(leftMs / 60_000))
    void reply.header('retry-after', Math.max(1, Math.ceil(leftMs / 1000)))
    throw new HttpError(429, `Too many sign-in attempts ${what}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`)
  }

  function view(request: FastifyRequest, reply: FastifyReply, extra: Partial<SigninView> = {}): string {
    const next = safeNext(formField(request.body, 'next') || (request.query as Record<string, unknown> | undefined)?.next)
    void reply.header('cache-control', 'private, no-store')
    return signinPage({ next, account: fastify.account(request, reply), csrfToken: reply.generateCsrf(), ...extra })
  }

  const answerErrors = (title: string) =>
    function errorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): void {
      const form = (problem: string): string => view(request, reply, { name: formField(request.body, 'name'), problems: { credentials: problem } })
      const account = () => fastify.account(request, reply)
      sendError(error, request, reply, signinErrorPages(title, account, form))
    }
  // Both forms are posted urlencoded with the session's CSRF token, and refused alike.
  const refusals = { 400: htmlAnswer('Not UTF-8'), 403: htmlAnswer('The CSRF token is missing or stale'), 413: htmlAnswer('Over 64 KiB'), 415: htmlAnswer(`Not ${FORM}`) }
  const form = (title: string, summary: string, response: object, ...checks: onRequestAsyncHookHandler[]) => ({
    onRequest: [requireContentType(FORM), ...checks],
    preValidation: fastify.checkCsrf,
    errorHandler: answerErrors(title),
    schema: { ...page, summary, consumes: [FORM], response: { ...refusals, ...response } },
  })

  const querystring = { type: 'object', additionalProperties: false, properties: { next: { type: 'string', description: 'A path on this site to go to once signed in' } } }
  const response = { 200: htmlAnswer('The form'), 422: htmlAnswer('An unknown parameter') }
  fastify.get('/signin', { errorHandler: answerErrors('Not shown'), schema: { ...page, summary: 'Sign-in page for editors', querystring, response } }, (request, reply) =>
    sendHtml(reply, 200, view(request, reply)),
  )

  const signin = form(
    'Not signed in',
    'Sign in: starts a session (an encrypted, HttpOnly, SameSite=Lax cookie)',
    {
      303: { description: 'Signed in: to `next`, a path on this site (/ by default)' },
      422: htmlAnswer(`A blank field, a name over ${EDITOR_NAME_MAX} characters, or a wrong name or password (one message for both)`),
      429: htmlAnswer(`Over ${perAddress} attempts from one address, or ${perNameAndAddress} at one name from one address, in ${windowMs / 60_000} minutes`),
      503: htmlAnswer('Too many sign-ins are being checked, or the database does not answer; Retry-After says when to try again'),
    },
    async (request, reply) => limit(reply, `address:${request.ip}`, perAddress, 'from your address'),
  )
  fastify.post('/signin', signin, async (request, reply) => {
    const name = formField(request.body, 'name').trim().normalize('NFC')
    const password = formField(request.body, 'password')
    // A name longer than any editor's is refused before it is counted or hashed.
    const shown = Array.from(name).slice(0, EDITOR_NAME_MAX).join('')
    const refuse = (problems: SigninView['problems']): FastifyReply => {
      request.log.info({ name: visibleText(shown) }, 'sign-in refused')
      return sendHtml(reply, 422, view(request, reply, { name: shown, problems }))
    }
    if (name === '' || password === '') return refuse({ ...(name === '' && { name: 'Enter your name' }), ...(password === '' && { password: 'Enter your password' }) })
    if (shown !== name) return refuse({ name: `Editor names are at most ${EDITOR_NAME_MAX} characters` })
    const key = nameKey(name)
    await limit(reply, `name:${key}|${request.ip}`, perNameAndAddress, 'for that name from your address')
    const { count } = await fastify.signinStore.count(`name:${key}`, windowMs)
    if (count > perNameBeforeSlowing) await sleep(Math.min(SLOW_MAX_MS, SLOW_STEP_MS * (count - perNameBeforeSlowing)))
    const editor = byKey.get(key)
    if (!(await check(password, editor?.hash)) || editor === undefined) return refuse({ credentials: 'The name or the password is not right' })
    // A fresh session (a new CSRF secret, so no token from before is accepted), with an id to revoke it by.
    request.session.regenerate()
    request.session.set('editor', editor.name)
    request.session.set('sid', randomBytes(16).toString('base64url'))
    request.session.set('hash', fingerprint(editor.hash))
    reply.generateCsrf()
    request.log.info({ editor: editor.name }, 'editor signed in')
    return reply.redirect(safeNext(formField(request.body, 'next')), 303)
  })

  fastify.post('/signout', form('Not signed out', 'Sign out: ends the session on every instance', { 303: { description: 'Signed out: to /' } }), async (request, reply) => {
    const sid = request.session.get('sid')
    // Kept until the session would have expired, so no copy of the cookie is accepted anywhere.
    if (sid !== undefined) await fastify.signinStore.revoke(sid, new Date(Date.now() + access.sessionSeconds * 1000))
    request.log.info({ editor: request.session.get('editor') }, 'editor signed out')
    request.session.delete()
    return reply.redirect('/', 303)
  })
}
