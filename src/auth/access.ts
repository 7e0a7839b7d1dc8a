// Who may write. Programs send an API key (POST /items/new/), people sign in and use the form
// (POST /items/new/form/); with neither configured, writes stay open and a warning says so at start. Routes
// name the guards they need in their own hooks (fastify.requireApiKey, requireEditor, checkCsrf,
// requireMetricsToken); each lets everything through while its check is off. Pages get the signed-in editor
// from fastify.account and pass it to their view.
import bearerAuth from '@fastify/bearer-auth'
import cookie from '@fastify/cookie'
import csrfProtection from '@fastify/csrf-protection'
import secureSession from '@fastify/secure-session'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler, preValidationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { hkdfSync } from 'node:crypto'
import { HttpError } from '../http/errors.js'
import type { Account } from '../views/account.js'
import { writesClosed, type AccessConfig } from './config.js'
import { fingerprint } from './passwords.js'
import signinRoutes, { type SigninLimits } from './signin-routes.js'
import signinStore from './signin-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest, with writes closed: one of API_KEYS as a bearer token, else 401. */
    requireApiKey: onRequestHookHandler
    /** onRequest, with writes closed: a signed-in editor whose session was not ended, else 303 to sign in. */
    requireEditor: onRequestAsyncHookHandler
    /** preValidation, with writes closed: the form's CSRF token of this session, else 403. */
    checkCsrf: preValidationHookHandler
    /** onRequest, with METRICS_TOKEN set: that bearer token, else 401. */
    requireMetricsToken: onRequestHookHandler
    /** Who a page is for (its header, its forms' CSRF token); an answer carrying a token is marked private. */
    account(request: FastifyRequest, reply: FastifyReply): Account
    /** Which guards check anything: writes (keys or editors configured), the metrics (METRICS_TOKEN); for /docs. */
    guarded: { writes: boolean; metrics: boolean }
  }
  interface FastifyRequest {
    /** Who is creating: `key:<label>` or `editor:<name>`; null while writes are open. */
    createdBy: string | null
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    editor: string
    /** The session's id, revoked at sign-out (src/auth/signin-store.ts). */
    sid: string
    /** The editor's hash's fingerprint: a new password, or a removal from EDITORS_FILE, ends the session. */
    hash: string
  }
}

export interface AccessOptions {
  access: AccessConfig
  signinLimits?: Partial<SigninLimits>
  /** How often expired sign-in state is removed where the database has no TTL index. */
  sweepEveryMs?: number
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

const pass: onRequestHookHandler = (_request, _reply, done) => {
  done()
}

export default fp<AccessOptions>(
  async function access(fastify, { access, signinLimits, sweepEveryMs }) {
    const closed = writesClosed(access)
    fastify.decorateRequest('createdBy', null)
    fastify.decorate('guarded', { writes: closed, metrics: access.metricsToken !== undefined })
    const labels = access.apiKeys.map(({ label }) => label)
    if (closed) {
      const summary = `writes are closed: ${labels.length} API key${labels.length === 1 ? '' : 's'} (${labels.join(', ') || 'none'}), ${access.editors.length} editor${access.editors.length === 1 ? '' : 's'}`
      fastify.log.info({ apiKeys: labels, editors: access.editors.length, metricsToken: access.metricsToken !== undefined }, summary)
    } else {
      fastify.log.warn(
        'writes are open: anyone who can reach this service can create items, through the JSON API and the form. ' +
          'To close them set API_KEYS (programs) and EDITORS_FILE with SESSION_SECRET (people); see docs/security.md',
      )
    }

    // Each key compared in constant time (@fastify/bearer-auth); rfc6749: the scheme's case does not matter.
    await fastify.register(bearerAuth, { addHook: false, keys: [] })
    const factory = fastify.verifyBearerAuthFactory
    if (factory === undefined) throw new Error('@fastify/bearer-auth did not provide verifyBearerAuthFactory')
    function bearerGuard(keys: string[], detail: string, passed: (request: FastifyRequest, reply: FastifyReply) => void = () => undefined): onRequestHookHandler {
      const verify = factory?.({ keys, addHook: false, specCompliance: 'rfc6749', verifyErrorLogLevel: 'info' })
      return function guard(request, reply, done) {
        verify?.(request, reply, (err) => {
          if (err === undefined) passed(request, reply)
          else void reply.header('www-authenticate', 'Bearer realm="item-store"')
          done(err === undefined ? undefined : new HttpError(401, detail))
        })
      }
    }
    /** Who is writing; the request's one access-log line names them too. */
    function writer(request: FastifyRequest, reply: FastifyReply, createdBy: string): void {
      request.createdBy = createdBy
      request.log = reply.log = request.log.child({ createdBy })
    }
    const labelOf = new Map(access.apiKeys.map(({ label, key }) => [key, label]))
    const keyDetail = access.apiKeys.length > 0 ? KEY_DETAIL : NO_KEYS_DETAIL
    fastify.decorate(
      'requireApiKey',
      closed ? bearerGuard([...labelOf.keys()], keyDetail, (request, reply) => {
        writer(request, reply, `key:${labelOf.get((request.headers.authorization ?? '').slice('bearer '.length).trim()) ?? ''}`)
      }) : pass,
    )
    fastify.decorate('requireMetricsToken', access.metricsToken === undefined ? pass : bearerGuard([access.metricsToken], METRICS_DETAIL))

    const sessions = access.editors.length > 0 && access.sessionSecret !== undefined
    if (sessions) {
      await fastify.register(signinStore, { sweepEveryMs })
      await fastify.register(cookie)
      await fastify.register(secureSession, {
        // SESSION_SECRET is random already, so HKDF suffices; the library's `secret` option runs a 256 MiB password hash.
        key: Buffer.from(hkdfSync('sha256', access.sessionSecret ?? '', 'item-store', 'session cookie key', 32)),
        cookieName: SESSION_COOKIE,
        expiry: access.sessionSeconds,
        // secure 'auto': Secure when the request came over https, directly or per a trusted proxy.
        cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: access.sessionSeconds },
      })
      await fastify.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' })
    }
    const fingerprints = new Map(access.editors.map((editor) => [editor.name, fingerprint(editor.hash)]))

    /** The session's editor, while still listed with the same password; the session is null when its hook did not run (an early 404). */
    function sessionOf(request: FastifyRequest): { name: string; sid: string } | undefined {
      const session = (request as { session?: FastifyRequest['session'] | null }).session ?? undefined
      const [name, sid] = [session?.get('editor'), session?.get('sid')]
      if (name === undefined || sid === undefined || fingerprints.get(name) !== session?.get('hash')) return undefined
      return { name, sid }
    }

    fastify.decorate('requireEditor', async function requireEditor(request: FastifyRequest, reply: FastifyReply) {
      if (!closed) return
      const signedIn = sessionOf(request)
      if (signedIn === undefined || (await fastify.signinStore.isRevoked(signedIn.sid))) return reply.redirect(FORM_SIGNIN_PATH, 303)
      writer(request, reply, `editor:${signedIn.name}`)
    })
    fastify.decorate('checkCsrf', function checkCsrf(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
      if (closed && sessions) fastify.csrfProtection(request, reply, done)
      else done()
    })
    fastify.decorate('account', function account(request: FastifyRequest, reply: FastifyReply): Account {
      if (!sessions) return undefined
      void reply.header('vary', 'Cookie')
      const signedIn = sessionOf(request)
      if (signedIn === undefined) return 'sign-in'
      void reply.header('cache-control', 'private, no-store')
      return { name: signedIn.name, csrfToken: reply.generateCsrf() }
    })

    if (closed) await fastify.register(signinRoutes, { editors: access.editors, sessions, sessionSeconds: access.sessionSeconds, limits: signinLimits })
  },
  { name: 'access', dependencies: ['database'] },
)
