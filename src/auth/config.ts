// Who may write, from the environment: API keys, editors, the session secret, the metrics token and CORS
// origins. Checked once at start like src/config.ts: a bad value stops the start naming the variable.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../config.js'
import { parseHash, type ScryptHash } from './passwords.js'

export interface ApiKey {
  label: string
  key: string
}

export interface Editor {
  name: string
  hash: ScryptHash
}

export interface AccessConfig {
  /** Keys for POST /items/new/; several at once, so one can be rotated. */
  apiKeys: ApiKey[]
  /** People who may sign in and use the form. */
  editors: Editor[]
  /** Encrypts the session cookie; set whenever editors are. */
  sessionSecret: string | undefined
  /** How long a sign-in lasts. */
  sessionSeconds: number
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined
  /** Origins whose pages may call the JSON API from a browser. */
  corsOrigins: string[]
}

/** Writes are open to anyone who can reach the service (the default). */
export const OPEN_ACCESS: AccessConfig = {
  apiKeys: [],
  editors: [],
  sessionSecret: undefined,
  sessionSeconds: 8 * 3600,
  metricsToken: undefined,
  corsOrigins: [],
}

export function writesClosed(access: AccessConfig): boolean {
  return access.apiKeys.length > 0 || access.editors.length > 0
}

const MIN_SECRET_LENGTH = 32
const LABEL = /^[a-z0-9][a-z0-9_-]{0,31}$/
// Names are shown in the page header and logged, so a plain word.
export const EDITOR_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u
const MAKE_KEY = 'make one with `openssl rand -base64 32`'

type Env = NodeJS.ProcessEnv
type ReadFile = (path: string) => string

const readText: ReadFile = (path) => readFileSync(path, 'utf8')

function value(env: Env, name: string): string | undefined {
  const raw = env[name]
  return raw === undefined || raw === '' ? undefined : raw
}

/** Lines of a file named by `variable`, without blank lines and # comments, each with its line number. */
function fileLines(variable: string, path: string, read: ReadFile): { text: string; line: number }[] {
  let content: string
  try {
    content = read(path)
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? ` (${String(err.code)})` : ''
    throw new ConfigError(`${variable} names a file that cannot be read: ${path}${reason}`)
  }
  return content
    .split(/\r?\n/)
    .map((text, index) => ({ text: text.trim(), line: index + 1 }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'))
}

function readKey(variable: string, entry: string, where: string): ApiKey {
  const at = entry.indexOf('=')
  const label = at === -1 ? '' : entry.slice(0, at).trim()
  const key = at === -1 ? '' : entry.slice(at + 1).trim()
  if (at === -1) throw new ConfigError(`${variable}: ${where} is not label=key`)
  if (!LABEL.test(label)) {
    throw new ConfigError(`${variable}: ${where} has the label "${label}"; a label is a short word: a-z, 0-9, _ and -, up to 32 characters`)
  }
  if (key.length < MIN_SECRET_LENGTH || /[\s,]/.test(key)) {
    throw new ConfigError(`${variable}: the key labelled "${label}" must be at least ${MIN_SECRET_LENGTH} characters without spaces or commas; ${MAKE_KEY}`)
  }
  return { label, key }
}

function readApiKeys(env: Env, read: ReadFile): ApiKey[] {
  const list = value(env, 'API_KEYS')
  const file = value(env, 'API_KEYS_FILE')
  if (list !== undefined && file !== undefined) throw new ConfigError('API_KEYS and API_KEYS_FILE are both set; set one of them')
  let keys: ApiKey[] = []
  if (list !== undefined) {
    keys = list.split(',').map((entry, index) => readKey('API_KEYS', entry.trim(), `entry ${index + 1}`))
  } else if (file !== undefined) {
    keys = fileLines('API_KEYS_FILE', file, read).map(({ text, line }) => readKey('API_KEYS_FILE', text, `line ${line}`))
    if (keys.length === 0) throw new ConfigError(`API_KEYS_FILE names a file with no label=key line: ${file}`)
  }
  const variable = list !== undefined ? 'API_KEYS' : 'API_KEYS_FILE'
  const labels = new Set<string>()
  const seen = new Set<string>()
  for (const { label, key } of keys) {
    if (labels.has(label)) throw new ConfigError(`${variable}: the label "${label}" is used twice; give each key its own label`)
    if (seen.has(key)) throw new ConfigError(`${variable}: the key labelled "${label}" is also another label's key; give each label its own key`)
    labels.add(label)
    seen.add(key)
  }
  return keys
}

function readEditors(env: Env, read: ReadFile): Editor[] {
  const file = value(env, 'EDITORS_FILE')
  if (file === undefined) return []
  const editors: Editor[] = []
  for (const { text, line } of fileLines('EDITORS_FILE', file, read)) {
    const at = text.indexOf(':')
    const name = at === -1 ? '' : text.slice(0, at).normalize('NFC')
    if (!EDITOR_NAME.test(name)) {
      throw new ConfigError(
        `EDITORS_FILE: line ${line} must be name:hash, with a name of letters, digits, ".", "_" and "-" (up to 64 characters)`,
      )
    }
    const hash = parseHash(text.slice(at + 1))
    if (typeof hash === 'string') throw new ConfigError(`EDITORS_FILE: the hash of "${name}" on line ${line} ${hash}`)
    if (editors.some((editor) => editor.name.toLowerCase() === name.toLowerCase())) {
      throw new ConfigError(`EDITORS_FILE: "${name}" is listed twice (names are compared without case)`)
    }
    editors.push({ name, hash })
  }
  if (editors.length === 0) throw new ConfigError(`EDITORS_FILE names a file with no name:hash line: ${file}`)
  return editors
}

function readSessionSecret(env: Env, read: ReadFile, editors: Editor[]): string | undefined {
  const direct = value(env, 'SESSION_SECRET')
  const file = value(env, 'SESSION_SECRET_FILE')
  if (direct !== undefined && file !== undefined) throw new ConfigError('SESSION_SECRET and SESSION_SECRET_FILE are both set; set one of them')
  const variable = file === undefined ? 'SESSION_SECRET' : 'SESSION_SECRET_FILE'
  const secret = file === undefined ? direct : fileLines(variable, file, read)[0]?.text
  if (secret === undefined) {
    if (editors.length > 0) throw new ConfigError(`SESSION_SECRET (or SESSION_SECRET_FILE) is required with EDITORS_FILE: it encrypts the sign-in cookie; ${MAKE_KEY}`)
    return undefined
  }
  if (Buffer.byteLength(secret) < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${variable} must be at least ${MIN_SECRET_LENGTH} bytes; ${MAKE_KEY}`)
  }
  return secret
}

function readSessionHours(env: Env): number {
  const raw = value(env, 'SESSION_HOURS') ?? '8'
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 720) {
    throw new ConfigError(`SESSION_HOURS must be a whole number of hours a sign-in lasts, from 1 to 720, got "${raw}"`)
  }
  return Number(raw) * 3600
}

function readMetricsToken(env: Env): string | undefined {
  const token = value(env, 'METRICS_TOKEN')
  if (token === undefined) return undefined
  if (token.length < MIN_SECRET_LENGTH || /\s/.test(token)) {
    throw new ConfigError(`METRICS_TOKEN must be at least ${MIN_SECRET_LENGTH} characters without spaces; ${MAKE_KEY}`)
  }
  return token
}

function readCorsOrigins(env: Env): string[] {
  const raw = value(env, 'CORS_ORIGINS')
  if (raw === undefined) return []
  return raw.split(',').map((entry) => {
    const origin = entry.trim()
    let url: URL | undefined
    try {
      url = new URL(origin)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must be a comma-separated list of origins such as https://shop.example.com or http://127.0.0.1:3000 ` +
          `(scheme, host and port only, no path or trailing slash); "${origin}" is not one`,
      )
    }
    return origin
  })
}

/** Reads and checks the access variables; throws ConfigError naming the first bad one. */
export function loadAccessConfig(env: Env = process.env, read: ReadFile = readText): AccessConfig {
  const apiKeys = readApiKeys(env, read)
  const editors = readEditors(env, read)
  return {
    apiKeys,
    editors,
    sessionSecret: readSessionSecret(env, read, editors),
    sessionSeconds: readSessionHours(env),
    metricsToken: readMetricsToken(env),
    corsOrigins: readCorsOrigins(env),
  }
}
