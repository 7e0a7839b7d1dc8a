// Security headers (helmet) with a strict Content-Security-Policy. Our pages are plain HTML and CSS with
// no script and no inline style, so they need nothing beyond our own stylesheet and icon.
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

type Directives = Record<string, string[]>

function serialize(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ')
}

// No `upgrade-insecure-requests`: the service is served over plain http (localhost by default, or a
// container port), and that directive would send the browser to https for /styles.css and fail.
const PAGE_DIRECTIVES: Directives = {
  'default-src': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
}

/**
 * The import page's policy: the pages' own, plus its one script (/import.js) from 'self', which sends the file
 * and reads the result lines back (connect-src).
 */
export const IMPORT_CONTENT_SECURITY_POLICY = serialize({ ...PAGE_DIRECTIVES, 'script-src': ["'self'"], 'connect-src': ["'self'"] })

/**
 * The policy for /docs (swagger-ui, src/plugins/docs.ts): its own scripts and styles from 'self', plus the
 * one inline <style> inside swagger-ui's logo SVG, allowed by hash. The e2e docs test reports any other
 * violation, e.g. after a swagger-ui upgrade changes that logo.
 */
export const DOCS_CONTENT_SECURITY_POLICY = serialize({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'base-uri': ["'self'"],
  'frame-ancestors': ["'none'"],
})

/** Helmet's headers for our options. They are the same for every response, so they are computed once. */
function computeSecurityHeaders(): [string, string][] {
  const headers: [string, string][] = []
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)])
    },
    removeHeader() {
      // helmet removes X-Powered-By, which Node never sets
    },
  }
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_DIRECTIVES },
    // No HSTS from the app: it speaks plain http, where browsers ignore the header anyway. Behind a TLS
    // proxy, that proxy knows the public host is https-only and is the place to send it; from here it
    // could pin a shared host such as localhost to https for every other service on it.
    strictTransportSecurity: false,
  })({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined)
  return headers
}

/** Every answer carries these, also the router's and the HTTP parser's own (src/plugins/request-guards.ts). */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = computeSecurityHeaders()

export default fp(
  async function security(fastify) {
    // Not @fastify/helmet: it rebuilds helmet's middleware (parsing the CSP again) on every request,
    // a cost shown in docs/performance.md.
    fastify.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of SECURITY_HEADERS) reply.raw.setHeader(name, value)
      done()
    })
  },
  { name: 'security' },
)
