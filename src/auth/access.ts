// Who may write. Programs send an API key (POST /items/new/), people sign in and use the form
// (POST /items/new/form/); with neither configured, writes stay open and a warning says so at start.
// Also the /metrics token and CORS for the JSON API. Routes opt in with `config: { access: 'key' | 'editor' }`;
// the hooks are added here, before their own, so nothing is read or stored for a refused request.
import bearerAuth from '@fastify/bearer-auth'
import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import csrfProtection from '@fastify/csrf-protection'
import secureSession from '@fastify/secure-session'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, preValidationHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { hkdfSync } from 'node:crypto'
import { PERSONAL } from '../http/conditional.js'
import { HttpError } from '../http/errors.js'
import { htmlAnswer, sendHtml } from '../http/html-reply.js'
import { accountBar, ACCOUNT_SLOT, csrfField, CSRF_SLOT } from '../views/account.js'
import { entryPage } from '../views/form-pages.js'
import { writesClosed, type AccessConfig } from './config.js'
import signinRoutes, { SESSION_EDITOR, type SigninLimits } from './signin-routes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The create route's channel: `key` needs an API key, `editor` a signed-in editor (when writes are closed). */
    access?: 'key' | 'editor'
  }
  interface FastifyRequest {
    /** Who is creating: `key:<label>` or `editor:<name>`; null while writes are open. */
    createdBy: string | null
  }
  interface FastifyInstance {
    accountSlots: AccountSlots
  }
}

/**
 * For a route that sends a page already filled, as bytes (the item read cache, src/items/read-cache.ts): a
 * page sent as a Buffer passes the onSend hook below untouched, so it must hold what everyone who is not
 * signed in sees. A request that is `personal` gets the page as a string, filled by that hook.
 */
export interface AccountSlots {
  /** This request's pages carry something of its own (a signed-in editor's bar and CSRF token): answered `private, no-store`. */
  personal(request: FastifyRequest): boolean
  /** `page` with its slots filled as for anyone not signed in: the same for every such request. */
  fillShared(page: string): string
}

declare module '@fastify/secure-session' {
  interface SessionData {
    editor: string
  }
}

export interface AccessOptions {
  access: AccessConfig
  /** Sign-in attempts allowed; the defaults are in signin-routes.ts. */
  signinLimits?: Partial<SigninLimits>
}

export const SESSION_COOKIE = 'item-store-session'
export const FORM_SIGNIN_PATH = '/signin?next=/'

const KEY_DETAIL =
  'Creating items needs an API key: send Authorization: Bearer <key> with one of this server’s keys. ' +
  'The key was missing or not accepted; nothing was stored'
// Editors without keys close the JSON API too; no key can open it, so the answer says where writes go.
const NO_KEYS_DETAIL =
  'Creating items through the JSON API needs an API key, and this server has none (API_KEYS); ' +
  'people sign in at /signin and use the form. Nothing was stored'
const METRICS_DETAIL = 'The metrics need the metrics token: send Authorization: Bearer <METRICS_TOKEN>'

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * The key for the session cookie's encryption. SESSION_SECRET is already random (32+ bytes), so HKDF
 * suffices; @fastify/secure-session's own `secret` option runs a password hash that takes 256 MiB.
 */
function sessionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'item-store', 'session cookie key', 32))
}

function bearerToken(request: FastifyRequest): string {
  return (request.headers.authorization ?? '').slice('Bearer '.length).trim()
}

export default fp<AccessOptions>(
  async function access(fastify, { access, signinLimits }) {
    const closed = writesClosed(access)
    const editors = new Map(access.editors.map((editor) => [editor.name, editor]))
    fastify.decorateRequest('createdBy', null)

    if (!closed) {
      fastify.log.warn(
        'writes are open: anyone who can reach this service can create items, through the JSON API and the form. ' +
          'To close them set API_KEYS (programs) and EDITORS_FILE with SESSION_SECRET (people); see docs/security.md',
      )
    }

    // Constant-time comparison of the bearer token against every key (the library's timingSafeEqual).
    await fastify.register(bearerAuth, { addHook: false, keys: [] })
    const factory = fastify.verifyBearerAuthFactory
    if (factory === undefined) throw new Error('@fastify/bearer-auth did not provide verifyBearerAuthFactory')
    const labels = new Map(access.apiKeys.map(({ label, key }) => [key, label]))
    const verifyKey = factory({ keys: [...labels.keys()], addHook: false, verifyErrorLogLevel: 'info' })

    /** An onRequest hook: the right bearer token or 401 with WWW-Authenticate and a `detail`. */
    function bearerGuard(verify: typeof verifyKey, detail: string, passed?: (request: FastifyRequest, reply: FastifyReply) => void): onRequestHookHandler {
      return function guard(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
        verify(request, reply, (err) => {
          if (err !== undefined) {
            void reply.header('www-authenticate', 'Bearer realm="item-store"')
            done(new HttpError(401, detail))
            return
          }
          passed?.(request, reply)
          done()
        })
      }
    }

    /** Who is writing; the request's one access-log line names them too. */
    function writer(request: FastifyRequest, reply: FastifyReply, createdBy: string): void {
      request.createdBy = createdBy
      request.log = reply.log = request.log.child({ createdBy })
    }

    const keyDetail = access.apiKeys.length > 0 ? KEY_DETAIL : NO_KEYS_DETAIL
    const keyGuard = bearerGuard(verifyKey, keyDetail, (request, reply) => {
      writer(request, reply, `key:${labels.get(bearerToken(request)) ?? ''}`)
    })
    const metricsGuard =
      access.metricsToken === undefined
        ? undefined
        : bearerGuard(factory({ keys: [access.metricsToken], addHook: false, verifyErrorLogLevel: 'info' }), METRICS_DETAIL)

    if (access.editors.length > 0 && access.sessionSecret !== undefined) {
      await fastify.register(cookie)
      await fastify.register(secureSession, {
        key: sessionKey(access.sessionSecret),
        cookieName: SESSION_COOKIE,
        expiry: access.sessionSeconds,
        // secure 'auto': Secure when the request came over https, directly or per a trusted proxy.
        cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: access.sessionSeconds },
      })
      await fastify.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' })
    }
    const sessions = fastify.hasRequestDecorator('session')

    /** The signed-in editor's name, if that editor is still listed. */
    function editorOf(request: FastifyRequest): string | undefined {
      if (!sessions) return undefined
      const name = request.session.get(SESSION_EDITOR)
      return name !== undefined && editors.has(name) ? name : undefined
    }

    const checkCsrf: preValidationHookHandler = (request, reply, done) => {
      fastify.csrfProtection(request, reply, done)
    }

    const requireEditor: onRequestHookHandler = function requireEditor(request, reply, done) {
      const name = editorOf(request)
      if (name === undefined) {
        void reply.redirect(FORM_SIGNIN_PATH, 303)
        return
      }
      writer(request, reply, `editor:${name}`)
      done()
    }

    // GET /: only a signed-in editor is offered the form; anyone else is sent to sign in.
    // Answering from the hook ends the request there (done is not called): the route's cached page is not sent.
    // The page carries the editor's CSRF token, so it is rendered per answer and never cached or shared.
    const frontPage: onRequestHookHandler = function frontPage(request, reply) {
      if (editorOf(request) === undefined) void reply.redirect(FORM_SIGNIN_PATH, 303)
      else void sendHtml(reply.header('cache-control', PERSONAL), 200, entryPage)
    }

    fastify.addHook('onRoute', (route: RouteOptions) => {
      const schema = route.schema
      if (route.config?.access === 'key' && closed) {
        route.onRequest = [keyGuard, ...toArray(route.onRequest)]
        if (schema !== undefined) {
          schema.security = [{ apiKey: [] }]
          schema.response = { ...(schema.response as object), 401: unauthorized(keyDetail) }
        }
      }
      if (route.config?.access === 'editor' && closed) {
        route.onRequest = [requireEditor, ...toArray(route.onRequest)]
        if (sessions) route.preValidation = [checkCsrf, ...toArray(route.preValidation)]
        if (schema !== undefined) {
          schema.response = {
            ...(schema.response as object),
            403: htmlAnswer('The form’s CSRF token is missing or belongs to another session: nothing was stored; reload the form'),
          }
          schema.description = `${schema.description ?? ''} Needs a signed-in editor: otherwise 303 to ${FORM_SIGNIN_PATH}.`
        }
      }
      if (route.url === '/metrics' && metricsGuard !== undefined) {
        route.onRequest = [metricsGuard, ...toArray(route.onRequest)]
        if (schema !== undefined) {
          schema.security = [{ metricsToken: [] }]
          schema.response = { ...(schema.response as object), 401: unauthorized(METRICS_DETAIL) }
        }
      }
      if (closed && route.url === '/' && toArray(route.method).includes('GET')) {
        route.onRequest = [frontPage, ...toArray(route.onRequest)]
      }
    })

    // What a page shows anyone not signed in: a link to sign in when someone could.
    const sharedAccount = sessions ? accountBar(undefined) : ''
    const fillShared = (page: string): string => page.replace(ACCOUNT_SLOT.text, sharedAccount).replace(CSRF_SLOT.text, '')
    fastify.decorate('accountSlots', { personal: (request) => editorOf(request) !== undefined, fillShared } satisfies AccountSlots)

    // Fills the header's account slot and the forms' CSRF slot of every page this service renders (a page
    // sent as a Buffer was filled before, see AccountSlots). A page with an editor's token is theirs alone.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        done(null, payload)
        return
      }
      const name = editorOf(request)
      if (name === undefined) {
        done(null, fillShared(payload))
        return
      }
      const csrfToken = reply.generateCsrf()
      void reply.header('cache-control', PERSONAL)
      done(null, payload.replace(ACCOUNT_SLOT.text, accountBar({ name, csrfToken })).replace(CSRF_SLOT.text, csrfField(csrfToken).text))
    })

    if (access.corsOrigins.length > 0) {
      const allowed = {
        origin: access.corsOrigins,
        methods: ['GET', 'HEAD', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        exposedHeaders: ['Location', 'Retry-After'],
        maxAge: 600,
      }
      // The JSON API only: pages and the form are never cross-origin.
      await fastify.register(cors, {
        delegator: (request, callback) => {
          const path = request.url
          const api = path.startsWith('/items/') && !path.startsWith('/items/new/form')
          callback(null, api ? allowed : { origin: false })
        },
      })
    }

    await fastify.register(signinRoutes, { editors: access.editors, sessions, closed, limits: signinLimits })
  },
  { name: 'access' },
)

/** The 401 answer in /docs: a `detail`, with WWW-Authenticate: Bearer. */
function unauthorized(detail: string): object {
  return {
    description: `No or a wrong bearer token (WWW-Authenticate: Bearer): "${detail}"`,
    type: 'object',
    properties: { detail: { type: 'string' } },
    required: ['detail'],
  }
}
