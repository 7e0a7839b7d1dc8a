// Configuration comes only from the environment, checked once at start against one JSON schema (env-schema),
// so a typo stops the process with a message naming the variable instead of a strange failure later.
import { Ajv, type ErrorObject } from 'ajv'
import { envSchema } from 'env-schema'
import { mongo } from 'mongoose'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { Type, type Static, type TStringOptions } from 'typebox'
import type { AccessConfig, ApiKey } from './auth/access.js'
import { EDITOR_NAME, EDITOR_NAME_RULE, nameKey, parseHash, type Editor } from './auth/passwords.js'
import { READ_CACHE_DEFAULT_MB } from './items/read-cache.js'
import { loadLimitsFor } from './plugins/load-limits.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const MAKE_KEY = 'make one with `openssl rand -base64 32`'
const whole = (min: number, max: number, what: string, fallback?: number) =>
  Type.Integer({ minimum: min, maximum: max, description: `a whole number ${what}`, ...(fallback === undefined ? {} : { default: fallback }) })
const oneOf = <const T extends readonly string[]>(values: T, fallback: T[number], description = `one of ${values.join(', ')}`) =>
  Type.Unsafe<T[number]>({ enum: values, default: fallback, description })
const text = (options: TStringOptions) => Type.Optional(Type.String(options))
// writeOnly: a secret, never repeated in a message.
const secret = (options: TStringOptions) => text({ writeOnly: true, ...options })
const file = text({ description: 'the path of a readable file' })

/**
 * Every variable with its default and bounds; the README's configuration table lists the same. A refusal reads
 * "<NAME> must be <description>". A *_FILE variable stands in for the one it names (Docker secrets).
 */
export const ENV_SCHEMA = Type.Object({
  PORT: whole(0, 65535, 'from 0 to 65535', 8000),
  HOST: Type.String({ pattern: '^\\S+$', default: '127.0.0.1', description: 'an address or host name such as 127.0.0.1 or 0.0.0.0' }),
  MONGODB_URI: Type.String({ pattern: '^mongodb(\\+srv)?://[^/?#]+', default: 'mongodb://127.0.0.1:27017/items', writeOnly: true, description: 'a mongodb:// or mongodb+srv:// connection string with a host' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  METRICS: oneOf(['on', 'off'], 'on', 'on or off'),
  RATE_LIMIT_CREATES: whole(0, 1_000_000, 'of creates per minute per client from 0 (no limit) to 1000000', 120),
  RATE_LIMIT_IMPORT_ROWS: whole(0, 100_000_000, 'of import rows per hour per writer from 0 (no budget) to 100000000', 200_000),
  TRUST_PROXY: Type.String({ format: 'proxies', default: 'off', description: 'off, the number of proxies in front of the service (such as 1), or a comma-separated list of their addresses or CIDRs (such as 192.0.2.10,198.51.100.0/24)' }),
  MAX_CONNECTIONS: whole(0, 1_000_000, 'from 0 (no cap) to 1000000', 2048),
  BODY_BUFFER_MB: whole(0, 1_048_576, 'from 0 (no budget) to 1048576', 16),
  MEMORY_LIMIT_MB: Type.Optional(whole(0, 1_048_576, 'from 0 (no RSS threshold) to 1048576')),
  MAX_EVENT_LOOP_DELAY_MS: whole(0, 60_000, 'from 0 (not checked) to 60000', 1000),
  READ_CACHE_MB: whole(0, 65_536, 'from 0 (no cache) to 65536', READ_CACHE_DEFAULT_MB),
  API_KEYS: Type.Optional(Type.Array(Type.String({ pattern: '^([a-z0-9][a-z0-9_-]{0,31}=[^\\s,]{32,})?$' }), {
    writeOnly: true,
    description: `label=key: a label of a-z, 0-9, _ and - (up to 32 characters), then a key of at least 32 characters without spaces or commas; ${MAKE_KEY}`,
  })),
  API_KEYS_FILE: file,
  EDITORS_FILE: file,
  SESSION_SECRET: secret({ format: 'bytes32', description: `at least 32 bytes; ${MAKE_KEY}` }),
  SESSION_SECRET_FILE: file,
  SESSION_HOURS: whole(1, 720, 'of hours a sign-in lasts, from 1 to 720', 8),
  METRICS_TOKEN: secret({ minLength: 32, pattern: '^\\S+$', description: `at least 32 characters without spaces; ${MAKE_KEY}` }),
  METRICS_TOKEN_FILE: file,
  CORS_ORIGINS: text({ format: 'origins', description: 'a comma-separated list of origins such as https://shop.example.com or http://127.0.0.1:3000 (scheme, host and port only, no path or trailing slash)' }),
})
type Env = Static<typeof ENV_SCHEMA>
const VARIABLES = ENV_SCHEMA.properties as Record<string, { type?: string; description?: string; writeOnly?: boolean }>

function isProxy(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  return version !== 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)))
}

const isOrigin = (entry: string): boolean => /^https?:\/\//.test(entry) && URL.parse(entry)?.origin === entry

// Lists are comma-separated, and a refusal names the entry that is not one.
const entries = (list: string): string[] => list.split(',').map((entry) => entry.trim())
const ENTRY_RULES: Record<string, (entry: string) => boolean> = { TRUST_PROXY: isProxy, CORS_ORIGINS: isOrigin }
const ajv = new Ajv({ removeAdditional: true, useDefaults: true, coerceTypes: false, strict: true })
  .addFormat('proxies', (list: string) => list === 'off' || /^\d{1,2}$/.test(list) || entries(list).every(isProxy))
  .addFormat('origins', (list: string) => entries(list).every(isOrigin))
  .addFormat('bytes32', (value: string) => Buffer.byteLength(value) >= 32)

type ReadFile = (path: string) => string

/** Reads and checks every variable; throws ConfigError naming the first bad one. An empty variable is unset. */
export function loadConfig(vars: NodeJS.ProcessEnv = process.env, read: ReadFile = (path) => readFileSync(path, 'utf8')) {
  const data: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(VARIABLES)) {
    const raw = vars[name]
    // Whole numbers in plain digits only: `1e3`, `0x50` and ` 80` stay text, refused as not whole numbers.
    if (raw !== undefined && raw !== '') data[name] = schema.type === 'integer' && /^\d{1,16}$/.test(raw) ? Number(raw) : raw
  }
  const source: Record<string, string> = {}
  for (const name of ['API_KEYS', 'SESSION_SECRET', 'METRICS_TOKEN']) {
    const path = data[`${name}_FILE`]
    if (typeof path !== 'string') continue
    if (data[name] !== undefined) throw new ConfigError(`${name} and ${name}_FILE are both set; set one of them`)
    source[name] = `${name}_FILE`
    const lines = fileLines(source[name], path, read)
    data[name] = name === 'API_KEYS' ? lines : lines.find((line) => line !== '')
  }
  // Entries (file lines) of API_KEYS, so that a refusal says which one, never what it holds.
  if (typeof data.API_KEYS === 'string') data.API_KEYS = entries(data.API_KEYS)
  if (Array.isArray(data.API_KEYS)) data.API_KEYS = data.API_KEYS.map((entry: string) => entry.replace(/\s*=\s*/, '='))
  let env: Env
  try {
    env = envSchema<Env>({ schema: ENV_SCHEMA, data, env: false, ajv })
  } catch (err) {
    const failure = (err as { errors?: ErrorObject[] }).errors?.[0]
    if (failure === undefined) throw err
    const [name = '', entry] = failure.instancePath.split('/').slice(1)
    const raw = vars[name] ?? ''
    const bad = entries(raw).find((value) => ENTRY_RULES[name]?.(value) === false)
    const shown = VARIABLES[name]?.writeOnly === true ? '' : bad !== undefined ? `; "${bad}" is not one` : `, got "${raw}"`
    const where = entry === undefined ? '' : `: ${source[name] === undefined ? 'entry' : 'line'} ${Number(entry) + 1}`
    throw new ConfigError(`${source[name] ?? name}${where} must be ${VARIABLES[name]?.description ?? 'set right'}${shown}`)
  }
  const editors = env.EDITORS_FILE === undefined ? [] : readEditors(env.EDITORS_FILE, read)
  if (editors.length > 0 && env.SESSION_SECRET === undefined) {
    throw new ConfigError(`SESSION_SECRET (or SESSION_SECRET_FILE) is required with EDITORS_FILE: it encrypts the sign-in cookie; ${MAKE_KEY}`)
  }
  const access: AccessConfig = {
    apiKeys: apiKeys(source.API_KEYS ?? 'API_KEYS', env.API_KEYS),
    editors,
    sessionSecret: env.SESSION_SECRET,
    sessionSeconds: env.SESSION_HOURS * 3600,
    metricsToken: env.METRICS_TOKEN,
    corsOrigins: env.CORS_ORIGINS === undefined ? [] : entries(env.CORS_ORIGINS),
  }
  return {
    port: env.PORT,
    host: env.HOST,
    mongodbUri: checkMongoUri(env.MONGODB_URI),
    logLevel: env.LOG_LEVEL,
    metrics: env.METRICS === 'on',
    rateLimitCreates: env.RATE_LIMIT_CREATES,
    rateLimitImportRows: env.RATE_LIMIT_IMPORT_ROWS,
    trustProxy: trustProxy(env.TRUST_PROXY),
    loadLimits: loadLimitsFor({ maxConnections: env.MAX_CONNECTIONS, bodyBufferMb: env.BODY_BUFFER_MB, maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS, memoryLimitMb: env.MEMORY_LIMIT_MB }),
    readCacheBytes: env.READ_CACHE_MB * 2 ** 20,
    access,
  }
}

/** The driver's own parser: it takes replica-set host lists (a:27017,b:27017) and refuses options it does not know. */
function checkMongoUri(uri: string): string {
  try {
    new mongo.MongoClient(uri)
    return uri
  } catch (err) {
    // Its reason, unless that repeats the credentials.
    const reason = err instanceof Error && !err.message.includes(/^[a-z+]+:\/\/([^@/]*)@/i.exec(uri)?.[1] ?? '\0') ? `: ${err.message}` : ''
    throw new ConfigError(`MONGODB_URI is not a valid connection string${reason}`)
  }
}

// TRUST_PROXY as Fastify's trustProxy option. A hop count becomes a function (Fastify treats a bare number as
// trusting nobody); proxy-addr calls it with each address's hop, 0 being the peer that connected.
function trustProxy(value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'off') return false
  if (!/^\d+$/.test(value)) return entries(value)
  const hops = Number(value)
  return hops > 0 && ((_address, hop) => hop < hops)
}

/** The lines of a file named by `variable`, trimmed, with # comments as blank lines (so line numbers hold). */
function fileLines(variable: string, path: string, read: ReadFile): string[] {
  try {
    return read(path).split(/\r?\n/).map((line) => (line.trim().startsWith('#') ? '' : line.trim()))
  } catch (err) {
    throw new ConfigError(`${variable} names a file that cannot be read: ${path}${err instanceof Error && 'code' in err ? ` (${String(err.code)})` : ''}`)
  }
}

/** The keys: every entry has passed the schema's rule, so the first "=" ends the label. */
function apiKeys(variable: string, lines: string[] = []): ApiKey[] {
  const keys = lines.filter((line) => line !== '').map((line) => ({ label: line.slice(0, line.indexOf('=')), key: line.slice(line.indexOf('=') + 1) }))
  if (variable === 'API_KEYS_FILE' && keys.length === 0) throw new ConfigError('API_KEYS_FILE names a file with no label=key line')
  for (const [index, { label, key }] of keys.entries()) {
    if (keys.findIndex((other) => other.label === label) < index) throw new ConfigError(`${variable}: the label "${label}" is used twice; give each key its own label`)
    if (keys.findIndex((other) => other.key === key) < index) throw new ConfigError(`${variable}: the key labelled "${label}" is also another label's key; give each label its own key`)
  }
  return keys
}

function readEditors(path: string, read: ReadFile): Editor[] {
  const editors: Editor[] = []
  for (const [index, line] of fileLines('EDITORS_FILE', path, read).entries()) {
    if (line === '') continue
    const at = line.indexOf(':')
    const name = at === -1 ? '' : line.slice(0, at).normalize('NFC')
    const where = `EDITORS_FILE: line ${index + 1}`
    if (!EDITOR_NAME.test(name)) throw new ConfigError(`${where} must be name:hash, with a name of ${EDITOR_NAME_RULE}`)
    const hash = parseHash(line.slice(at + 1))
    if (typeof hash === 'string') throw new ConfigError(`EDITORS_FILE: the hash of "${name}" on line ${index + 1} ${hash}`)
    if (editors.some((editor) => nameKey(editor.name) === nameKey(name))) throw new ConfigError(`EDITORS_FILE: "${name}" is listed twice (names are compared without case)`)
    editors.push({ name, hash })
  }
  if (editors.length === 0) throw new ConfigError(`EDITORS_FILE names a file with no name:hash line: ${path}`)
  return editors
}
