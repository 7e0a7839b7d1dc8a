// The one HTTP client of the tests and the bench's set-up: plain node:http, so a request goes out exactly as
// written (raw bytes, no Content-Type or an odd one, repeated query parameters), on a fresh connection to
// 127.0.0.1, and the answer comes back whole. Given the app itself instead of a base URL, the same request
// goes through Fastify's inject: no socket, for tests of rules that need none.
import { request as httpRequest, type Agent } from 'node:http'

export const JSON_TYPE = { 'content-type': 'application/json' }
export const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' }

export interface Request {
  method?: string
  /** Path and query, e.g. /items/?limit=5 */
  path: string
  headers?: Record<string, string | number>
  body?: Buffer | string
}

export interface Answer {
  status: number
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>
  contentType: string
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export interface SendOptions {
  timeoutMs?: number
  /** A keep-alive agent, to reuse connections as a real client would; a fresh connection by default. */
  agent?: Agent
  /** The loopback address to connect from (127.0.0.1 by default), to come as another client. */
  localAddress?: string
}

/** What inject needs of a Fastify instance. */
export interface Injectable {
  inject(options: { method: string; url: string; headers?: Record<string, string | number>; payload?: Buffer | string }): Promise<{
    statusCode: number
    headers: Record<string, string | string[] | number | undefined>
    body: string
  }>
}

/** A base URL (http://127.0.0.1:<port>), or the app to inject into. */
export type Target = string | Injectable

async function inject(app: Injectable, options: Request): Promise<Answer> {
  const response = await app.inject({ method: options.method ?? 'GET', url: options.path, headers: options.headers, payload: options.body })
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return { status: response.statusCode, headers, contentType: headers['content-type'] ?? '', text: response.body, json: parseJson(response.body) }
}

/** Sends one request to `target` and resolves with the whole answer. */
export async function send(target: Target, options: Request, { timeoutMs = 60_000, agent, localAddress }: SendOptions = {}): Promise<Answer> {
  if (typeof target !== 'string') return inject(target, options)
  const { hostname, port } = new URL(target)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: agent ?? false, localAddress },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const headers: Record<string, string> = {}
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
          }
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers, contentType: headers['content-type'] ?? '', text, json: parseJson(text) })
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

export function get(target: Target, path: string): Promise<Answer> {
  return send(target, { path })
}

/** POSTs `body` as JSON to the JSON create route: a value is serialized, a string goes as it is. */
export function postJson(target: Target, body: unknown, path = '/items/new/'): Promise<Answer> {
  return send(target, { method: 'POST', path, headers: JSON_TYPE, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

/** POSTs `fields` URL-encoded to the form route. */
export function postForm(target: Target, fields: Record<string, string>, path = '/items/new/form/'): Promise<Answer> {
  return send(target, { method: 'POST', path, headers: FORM_TYPE, body: new URLSearchParams(fields).toString() })
}

/** The `detail` of a JSON error answer, or undefined when it has none. */
export function detailOf(answer: Answer): unknown {
  return answer.contentType.startsWith('application/json') ? (answer.json as { detail?: unknown } | undefined)?.detail : undefined
}

/** Runs `request` and reports how long it took to settle, in ms. */
export async function timed<T>(request: () => Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = performance.now()
  const answer = await request()
  return { answer, ms: performance.now() - started }
}

/** Polls /readyz until it answers 200; bounded by `timeoutMs`, generous: a busy machine starts slowly. */
export async function waitUntilReady(baseUrl: string, timeoutMs = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const answer = await send(baseUrl, { path: '/readyz' }, { timeoutMs: 2_000 })
      if (answer.status === 200) return
      last = `HTTP ${answer.status}`
    } catch (error) {
      last = String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  throw new Error(`${baseUrl} was not ready within ${timeoutMs} ms (last: ${last})`)
}
