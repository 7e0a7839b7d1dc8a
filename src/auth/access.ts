// Who may write: programs with an API key (POST /items/new/), people signed in for the form; with neither
// configured writes stay open and a warning says so at start. Routes name the guards they need in their own
// hooks; each lets everything through while its check is off. Pages get the signed-in editor from
// fastify.account and pass it to their view.
import bearerAuth from '@fastify/bearer-auth'
import cookie from '@fastify/cookie'
import csrfProtection from '@fastify/csrf-protection'
import secureSession from '@fastify/secure-session'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler, preValidationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { hkdfSync } from 'node:crypto'
import { HttpError } from '../http/errors.js'
import type { Account } from '../views/account.js'
import { fingerprint, type Editor } from './passwords.js'
import { signinStore } from './signin-store.js'

export type ApiKey = { label: string; key: string }

/** The default: writes are open to anyone who can reach the service. Its type is what src/config.ts reads from the environment. */
export const OPEN_ACCESS = {
  /** Keys for POST /items/new/; several at once, so one can be rotated. */
  apiKeys: [] as ApiKey[],
  editors: [] as Editor[],
  /** Encrypts the session cookie; set whenever editors are. */
  sessionSecret: undefined as string | undefined,
  sessionSeconds: 8 * 3600,
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: undefined as string | undefined,
  /** Origins whose pages may call the JSON API from a browser. */
  corsOrigins: [] as string[],
}
export type AccessConfig = typeof OPEN_ACCESS

export function writesClosed(access: AccessConfig): boolean {
  return access.apiKeys.length > 0 || access.editors.length > 0
}

export function hasSessions(access: AccessConfig): boolean {
  return access.editors.length > 0 && access.sessionSecret !== undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest, writes closed: one of API_KEYS as a bearer token, else 401. */
    requireApiKey: onRequestHookHandler
    /** onRequest, writes closed: a signed-in editor whose session was not ended, else 303 to sign in. */
    requireEditor: onRequestAsyncHookHandler
    /** preValidation, writes closed: the CSRF token of this session, else 403. */
    checkCsrf: preValidationHookHandler
    /** onRequest, with METRICS_TOKEN: that bearer token, else 401. */
    requireMetricsToken: onRequestHookHandler
    /** Who a page is for (its header, its forms' token); an answer carrying a token is marked private. */
    account(request: FastifyRequest, reply: FastifyReply): Account
    /** Which guards check anything, for /docs. */
    guarded: { writes: boolean; metrics: boolean }
    /** Attempt counters and revoked sessions, while editors can sign in. */
    signinStore: ReturnType<typeof signinStore>
  }
  interface FastifyRequest {
    /** Who is creating: `key:<label>` or `editor:<name>`; null while writes are open. */
    createdBy: string | null
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    editor: string
    /** The session's id, revoked at sign-out. */
    sid: string
    /** The editor's hash's fingerprint: a new password, or a removal from EDITORS_FILE, ends the session. */
    hash: string
  }
}

const NO_KEY = 'Creating items needs an API key: send Authorization: Bearer <key> with one of this server’s keys. The key was missing or not accepted; nothing was stored'
// Editors without keys close the JSON API too; no key can open it, so the answer says where writes go.
const NO_KEYS = 'Creating items through the JSON API needs an API key, and this server has none (API_KEYS); people sign in at /signin and use the form. Nothing was stored'
const NO_TOKEN = 'The metrics need the metrics token: send Authorization: Bearer <METRICS_TOKEN>'
const OPEN_WARNING =
  'writes are open: anyone who can reach this service can create items, through the JSON API and the form. To close them set API_KEYS (programs) and EDITORS_FILE with SESSION_SECRET (people); see docs/security.md'
const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`

export default fp<{ access: AccessConfig; sweepEveryMs?: number }>(
  async function access(fastify, { access, sweepEveryMs }) {
    const closed = writesClosed(access)
    const { apiKeys, editors, metricsToken } = access
    fastify.decorateRequest('createdBy', null)
    fastify.decorate('guarded', { writes: closed, metrics: metricsToken !== undefined })
    const labels = apiKeys.map(({ label }) => label)
    if (closed) fastify.log.info(`writes are closed: ${plural(labels.length, 'API key')} (${labels.join(', ') || 'none'}), ${plural(editors.length, 'editor')}`)
    else fastify.log.warn(OPEN_WARNING)

    /** Who is writing; the request's one access-log line names them too. */
    function writer(request: FastifyRequest, reply: FastifyReply, createdBy: string): void {
      request.createdBy = createdBy
      request.log = reply.log = request.log.child({ createdBy })
    }
    // Each key compared in constant time (@fastify/bearer-auth); rfc6749: the scheme's case does not matter.
    await fastify.register(bearerAuth, { addHook: false, keys: [] })
    const pass: onRequestHookHandler = (_request, _reply, done) => {
      done()
    }
    function bearer(keys: string[], detail: string, passed?: (request: FastifyRequest, reply: FastifyReply) => void): onRequestHookHandler {
      const verify = fastify.verifyBearerAuthFactory?.({ keys, addHook: false, specCompliance: 'rfc6749', verifyErrorLogLevel: 'info' })
      if (verify === undefined) throw new Error('@fastify/bearer-auth did not provide verifyBearerAuthFactory')
      return (request, reply, done) => {
        verify(request, reply, (err) => {
          if (err === undefined) passed?.(request, reply)
          else void reply.header('www-authenticate', 'Bearer realm="item-store"')
          done(err === undefined ? undefined : new HttpError(401, detail))
        })
      }
    }
    const labelOf = new Map(apiKeys.map(({ label, key }) => [key, label]))
    const keyOf = (request: FastifyRequest): string => (request.headers.authorization ?? '').slice('bearer '.length).trim()
    const keyGuard = bearer([...labelOf.keys()], apiKeys.length > 0 ? NO_KEY : NO_KEYS, (request, reply) => {
      writer(request, reply, `key:${labelOf.get(keyOf(request)) ?? ''}`)
    })
    fastify.decorate('requireApiKey', closed ? keyGuard : pass)
    fastify.decorate('requireMetricsToken', metricsToken === undefined ? pass : bearer([metricsToken], NO_TOKEN))

    const sessions = hasSessions(access)
    if (sessions) {
      fastify.decorate('signinStore', signinStore(fastify, sweepEveryMs))
      await fastify.register(cookie)
      await fastify.register(secureSession, {
        // SESSION_SECRET is random already, so HKDF suffices; the library's `secret` option runs a 256 MiB password hash.
        key: Buffer.from(hkdfSync('sha256', access.sessionSecret ?? '', 'item-store', 'session cookie key', 32)),
        cookieName: 'item-store-session',
        expiry: access.sessionSeconds,
        // secure 'auto': Secure when the request came over https, directly or per a trusted proxy.
        cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: access.sessionSeconds },
      })
      await fastify.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' })
    }
    const fingerprints = new Map(editors.map((editor) => [editor.name, fingerprint(editor.hash)]))

    /** The session's editor, while still listed with the same hash. No session when its hook did not run (an early 404). */
    function signedIn(request: FastifyRequest): { name: string; sid: string } | undefined {
      const session = (request as { session?: FastifyRequest['session'] | null }).session ?? undefined
      const [name, sid] = [session?.get('editor'), session?.get('sid')]
      return name !== undefined && sid !== undefined && fingerprints.get(name) === session?.get('hash') ? { name, sid } : undefined
    }
    fastify.decorate('requireEditor', async function requireEditor(request: FastifyRequest, reply: FastifyReply) {
      if (!closed) return
      const editor = signedIn(request)
      if (editor === undefined || (await fastify.signinStore.isRevoked(editor.sid))) {
        // A page asked for comes back after the sign-in; a form sent goes back to the form.
        const page = request.method === 'GET' ? request.routeOptions.url : undefined
        return reply.redirect(`/signin?next=${page === undefined || page === '/' ? '/' : encodeURIComponent(page)}`, 303)
      }
      writer(request, reply, `editor:${editor.name}`)
    })
    fastify.decorate('checkCsrf', function checkCsrf(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
      if (sessions) fastify.csrfProtection(request, reply, done)
      else done()
    })
    fastify.decorate('account', function account(request: FastifyRequest, reply: FastifyReply): Account {
      if (!sessions) return undefined
      const editor = signedIn(request)
      void reply.header('vary', 'Cookie')
      if (editor === undefined) return 'sign-in'
      void reply.header('cache-control', 'private, no-store')
      return { name: editor.name, csrfToken: reply.generateCsrf() }
    })
  },
  { name: 'access', dependencies: ['database'] },
)
