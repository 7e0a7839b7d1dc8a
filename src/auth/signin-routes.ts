// GET /signin, POST /signin and POST /signout. The session is @fastify/secure-session's encrypted cookie,
// so every instance with the same SESSION_SECRET accepts it and nothing is kept per process. Attempts are
// limited per address (before the body is read) and per name (so spreading over addresses gains nothing).
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify'
import { randomBytes } from 'node:crypto'
import { HttpError } from '../http/errors.js'
import { htmlAnswer, sendHtml } from '../http/html-reply.js'
import { errorPage } from '../views/form-pages.js'
import { signinPage, signinUnavailablePage, type SigninView } from '../views/signin-page.js'
import type { Editor } from './config.js'
import { hashPassword, parseHash, verifyPassword, type ScryptHash } from './passwords.js'

export const SESSION_EDITOR = 'editor'

export interface SigninLimits {
  perAddress: number
  perName: number
  windowMs: number
}

const DEFAULT_LIMITS: SigninLimits = { perAddress: 30, perName: 10, windowMs: 10 * 60_000 }

export interface SigninOptions {
  editors: Editor[]
  /** Whether sessions are set up (editors and SESSION_SECRET); without them the page says nobody can sign in. */
  sessions: boolean
  /** Writes are closed; with open writes there is nothing to sign in to. */
  closed: boolean
  limits?: Partial<SigninLimits> | undefined
}

const WRONG = 'The name or the password is not right'

/** Where to go after signing in: a path on this site only, never another site (//host or /\host). */
export function safeNext(raw: unknown): string {
  return typeof raw === 'string' && /^\/(?![/\\])[^\s]*$/.test(raw) && raw.length <= 2048 ? raw : '/'
}

function field(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined
  return typeof value === 'string' ? value : ''
}

function isCsrfError(error: FastifyError): boolean {
  return error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET'
}

function minutes(seconds: number): string {
  const count = Math.max(1, Math.ceil(seconds / 60))
  return `${count} minute${count === 1 ? '' : 's'}`
}

const signinRoutes: FastifyPluginAsync<SigninOptions> = async (fastify, { editors, sessions, closed, limits }) => {
  if (!closed) return
  if (!sessions) {
    fastify.get('/signin', { schema: { tags: ['sign-in'], summary: 'Sign-in page', produces: ['text/html'], response: { 200: htmlAnswer('Says that nobody can sign in here: no editors are set up') } } }, (_request, reply) =>
      sendHtml(reply, 200, signinUnavailablePage()),
    )
    return
  }

  const { perAddress, perName, windowMs } = { ...DEFAULT_LIMITS, ...limits }
  const byName = new Map(editors.map((editor) => [editor.name.toLowerCase(), editor]))
  // An unknown name costs the same scrypt work as a known one, so timing does not tell which names exist.
  const decoy = parseHash(await hashPassword(randomBytes(16).toString('hex'))) as ScryptHash

  if (!fastify.hasDecorator('createRateLimit')) await fastify.register(rateLimit, { global: false })
  const addressLimit = fastify.createRateLimit({ max: perAddress, timeWindow: windowMs })
  const nameLimit = fastify.createRateLimit({
    max: perName,
    timeWindow: windowMs,
    keyGenerator: (request) => field(request.body, 'name').normalize('NFC').toLowerCase(),
  })

  async function limited(check: typeof addressLimit, request: FastifyRequest, reply: FastifyReply, what: string): Promise<void> {
    const result = await check(request)
    if (result.isAllowed || !result.isExceeded) return
    const seconds = Math.max(1, result.ttlInSeconds)
    void reply.header('retry-after', seconds)
    throw new HttpError(429, `Too many sign-in attempts ${what}; try again in ${minutes(seconds)}`)
  }

  function view(request: FastifyRequest, reply: FastifyReply, extra: Partial<SigninView> = {}): string {
    const next = safeNext(field(request.body, 'next') || (request.query as Record<string, unknown> | undefined)?.next)
    return signinPage({ next, csrfToken: reply.generateCsrf(), ...extra })
  }

  const checkCsrf: preValidationHookHandler = (request, reply, done) => {
    fastify.csrfProtection(request, reply, done)
  }

  fastify.get(
    '/signin',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Sign-in page for editors',
        querystring: { type: 'object', properties: { next: { type: 'string', description: 'A path on this site to go to once signed in' } } },
        produces: ['text/html'],
        response: { 200: htmlAnswer('The sign-in form') },
      },
    },
    (request, reply) => sendHtml(reply, 200, view(request, reply)),
  )

  fastify.post(
    '/signin',
    {
      onRequest: async (request, reply) => limited(addressLimit, request, reply, 'from your address'),
      preValidation: checkCsrf,
      schema: {
        tags: ['sign-in'],
        summary: 'Sign in: starts a session (an encrypted, HttpOnly, SameSite=Lax cookie)',
        consumes: ['application/x-www-form-urlencoded'],
        produces: ['text/html'],
        response: {
          303: { description: 'Signed in: to `next`, a path on this site (/ by default)' },
          403: htmlAnswer('The form’s CSRF token is missing or stale: the form again, to send once more'),
          422: htmlAnswer('A blank field, or a wrong name or password (one message for both)'),
          429: htmlAnswer(`More than ${perAddress} attempts from one address or ${perName} for one name in ${windowMs / 60_000} minutes; Retry-After says when to try again`),
        },
      },
      errorHandler(error, request, reply) {
        if (isCsrfError(error)) {
          sendHtml(reply, 403, view(request, reply, { name: field(request.body, 'name'), problems: { credentials: 'The sign-in form had expired; please sign in again' } }))
        } else if (error instanceof HttpError) {
          sendHtml(reply, error.statusCode, view(request, reply, { name: field(request.body, 'name'), problems: { credentials: error.message } }))
        } else {
          request.log.error({ err: error }, 'sign-in failed')
          sendHtml(reply, 500, errorPage(500, 'Internal Server Error', 'Not signed in'))
        }
      },
    },
    async (request, reply) => {
      const name = field(request.body, 'name').normalize('NFC').trim()
      const password = field(request.body, 'password')
      if (name === '' || password === '') {
        const problems = { ...(name === '' && { name: 'Enter your name' }), ...(password === '' && { password: 'Enter your password' }) }
        return sendHtml(reply, 422, view(request, reply, { name, problems }))
      }
      await limited(nameLimit, request, reply, 'for that name')
      const editor = byName.get(name.toLowerCase())
      const matches = await verifyPassword(password, editor?.hash ?? decoy)
      if (editor === undefined || !matches) {
        request.log.info({ name }, 'sign-in refused')
        return sendHtml(reply, 422, view(request, reply, { name, problems: { credentials: WRONG } }))
      }
      // A fresh session: a new CSRF secret, so no token from before the sign-in is accepted.
      request.session.regenerate()
      request.session.set(SESSION_EDITOR, editor.name)
      reply.generateCsrf()
      request.log.info({ editor: editor.name }, 'editor signed in')
      return reply.redirect(safeNext(field(request.body, 'next')), 303)
    },
  )

  fastify.post(
    '/signout',
    {
      preValidation: checkCsrf,
      schema: {
        tags: ['sign-in'],
        summary: 'Sign out: ends the session (the cookie is cleared)',
        consumes: ['application/x-www-form-urlencoded'],
        produces: ['text/html'],
        response: {
          303: { description: 'Signed out: to /' },
          403: htmlAnswer('The CSRF token is missing or belongs to another session'),
        },
      },
      errorHandler(error, request, reply) {
        const status = isCsrfError(error) ? 403 : 500
        if (status === 500) request.log.error({ err: error }, 'sign-out failed')
        const detail = status === 403 ? 'The sign-out button was out of date or did not come from this site; reload the page and try again' : 'Internal Server Error'
        sendHtml(reply, status, errorPage(status, detail, 'Not signed out'))
      },
    },
    async (request, reply) => {
      const editor = request.session.get(SESSION_EDITOR)
      request.session.delete()
      request.log.info({ editor }, 'editor signed out')
      return reply.redirect('/', 303)
    },
  )
}

export default signinRoutes
