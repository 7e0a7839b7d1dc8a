// Configuration comes only from the environment and is checked once at start, so a typo stops the
// process with a message naming the variable instead of surfacing later as a strange failure.
import { mongo } from 'mongoose'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { getHeapStatistics } from 'node:v8'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]

interface Config {
  port: number
  host: string
  mongodbUri: string
  logLevel: LogLevel
  /** Serve GET /metrics (METRICS=on). */
  metrics: boolean
  /** Creates per minute per client address across both create routes; 0 = no limit. */
  rateLimitCreates: number
  /** Rows an import may create per writer and hour; 0 = no budget. */
  rateLimitImportRows: number
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and CIDRs. */
  trustProxy: false | number | string[]
  /** Connection cap, body budget and load-shedding thresholds (src/plugins/load-limits.ts). */
  loadLimits: LoadLimits
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const DEFAULTS = {
  PORT: '8000',
  HOST: '127.0.0.1',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/items',
  LOG_LEVEL: 'info',
  METRICS: 'on',
  RATE_LIMIT_CREATES: '120',
  RATE_LIMIT_IMPORT_ROWS: '200000',
  TRUST_PROXY: 'off',
  MAX_CONNECTIONS: '2048',
  BODY_BUFFER_MB: '16',
  MEMORY_LIMIT_MB: '',
  MAX_EVENT_LOOP_DELAY_MS: '1000',
} as const

function readPort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, got "${raw}"`)
  }
  return Number(raw)
}

function readHost(raw: string): string {
  if (raw.trim() === '' || /\s/.test(raw)) {
    throw new ConfigError(`HOST must be an address or host name such as 127.0.0.1 or 0.0.0.0, got "${raw}"`)
  }
  return raw
}

function readMongoUri(raw: string): string {
  if (!/^mongodb(\+srv)?:\/\/[^/?#]+/.test(raw)) {
    throw new ConfigError('MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string with a host')
  }
  // The driver's own parser: WHATWG URL refuses replica-set host lists (a:27017,b:27017), and the driver
  // refuses options it does not know, which would otherwise only fail at every connection attempt.
  try {
    new mongo.MongoClient(raw)
  } catch (err) {
    const reason = err instanceof Error ? err.message : ''
    const userInfo = /^[a-z+]+:\/\/([^@/]*)@/i.exec(raw)?.[1]
    const safe = reason !== '' && (userInfo === undefined || !reason.includes(userInfo))
    throw new ConfigError(`MONGODB_URI is not a valid connection string${safe ? `: ${reason}` : ''}`)
  }
  return raw
}

function readLogLevel(raw: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === raw)
  if (level === undefined) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`)
  return level
}

function readMetrics(raw: string): boolean {
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(`METRICS must be on or off, got "${raw}"`)
  return raw === 'on'
}

const MAX_RATE_LIMIT = 1_000_000

function readRateLimit(raw: string): number {
  if (!/^\d{1,7}$/.test(raw) || Number(raw) > MAX_RATE_LIMIT) {
    throw new ConfigError(
      `RATE_LIMIT_CREATES must be a whole number of creates per minute per client from 0 (no limit) to ${MAX_RATE_LIMIT}, got "${raw}"`,
    )
  }
  return Number(raw)
}

// Names proxy-addr (Fastify's trustProxy) accepts for address ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isAddressOrCidr(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

function readTrustProxy(raw: string): false | number | string[] {
  const howTo =
    'TRUST_PROXY must be off, the number of proxies in front of the service (such as 1), or a comma-separated ' +
    'list of their addresses or CIDRs (such as 192.0.2.10,198.51.100.0/24)'
  if (raw === 'off') return false
  if (/^\d{1,2}$/.test(raw)) return Number(raw) === 0 ? false : Number(raw)
  const entries = raw.split(',').map((entry) => entry.trim())
  const bad = entries.find((entry) => !isAddressOrCidr(entry))
  if (bad !== undefined) throw new ConfigError(`${howTo}; "${bad}" is neither, in "${raw}"`)
  return entries
}

/**
 * TRUST_PROXY as Fastify's trustProxy option. A hop count becomes a function: Fastify treats a bare number
 * as trusting nobody, and proxy-addr calls this with each address's hop (0 = the peer that connected).
 */
export function fastifyTrustProxy(value: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value
  return (_address, hop) => hop < value
}

/** Reads and checks the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as in most deployment tools.
  const get = (name: keyof typeof DEFAULTS): string => {
    const value = env[name]
    return value === undefined || value === '' ? DEFAULTS[name] : value
  }
  return {
    port: readPort(get('PORT')),
    host: readHost(get('HOST')),
    mongodbUri: readMongoUri(get('MONGODB_URI')),
    logLevel: readLogLevel(get('LOG_LEVEL')),
    metrics: readMetrics(get('METRICS')),
    rateLimitCreates: readRateLimit(get('RATE_LIMIT_CREATES')),
    rateLimitImportRows: readWhole('RATE_LIMIT_IMPORT_ROWS', get('RATE_LIMIT_IMPORT_ROWS'), 100_000_000, 'no budget'),
    trustProxy: readTrustProxy(get('TRUST_PROXY')),
    loadLimits: readLoadLimits(get),
  }
}

export interface LoadLimits {
  maxConnections: number
  bodyBudgetBytes: number
  maxEventLoopDelayMs: number
  maxHeapUsedBytes: number
  maxRssBytes: number
  /** The memory the thresholds were derived from, in MiB, and where that figure came from. */
  memoryLimitMb: number
  memoryLimitFrom: 'MEMORY_LIMIT_MB' | 'cgroup' | 'default'
}

const MIB = 2 ** 20
// The compose file's mem_limit, assumed when neither MEMORY_LIMIT_MB nor a cgroup limit says otherwise.
const DEFAULT_MEMORY_LIMIT_MB = 256
// Shed load at this share of the memory limit (RSS) and of V8's heap limit (--max-old-space-size).
const RSS_SHARE = 0.8
const HEAP_SHARE = 0.9

function readWhole(name: string, raw: string, max: number, what: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from 0 (${what}) to ${max}, got "${raw}"`)
  }
  return Number(raw)
}

/** The cgroup (v2, then v1) memory limit of this process in MiB, or undefined when there is none. */
function cgroupMemoryLimitMb(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const bytes = Number(readFileSync(file, 'utf8').trim())
      // "max", or v1's "no limit" (a number near 2^63).
      if (Number.isSafeInteger(bytes) && bytes > 0) return Math.floor(bytes / MIB)
    } catch {
      // No such file: not this cgroup version, or no cgroup at all.
    }
  }
  return undefined
}

function readLoadLimits(get: (name: keyof typeof DEFAULTS) => string): LoadLimits {
  const rawLimit = get('MEMORY_LIMIT_MB')
  const fromCgroup = rawLimit === '' ? cgroupMemoryLimitMb() : undefined
  const memoryLimitMb =
    rawLimit !== '' ? readWhole('MEMORY_LIMIT_MB', rawLimit, 1_048_576, 'no RSS threshold') : (fromCgroup ?? DEFAULT_MEMORY_LIMIT_MB)
  return {
    maxConnections: readWhole('MAX_CONNECTIONS', get('MAX_CONNECTIONS'), 1_000_000, 'no cap'),
    bodyBudgetBytes: readWhole('BODY_BUFFER_MB', get('BODY_BUFFER_MB'), 1_048_576, 'no budget') * MIB,
    maxEventLoopDelayMs: readWhole('MAX_EVENT_LOOP_DELAY_MS', get('MAX_EVENT_LOOP_DELAY_MS'), 60_000, 'not checked'),
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * HEAP_SHARE),
    maxRssBytes: Math.floor(memoryLimitMb * MIB * RSS_SHARE),
    memoryLimitMb,
    memoryLimitFrom: rawLimit !== '' ? 'MEMORY_LIMIT_MB' : fromCgroup !== undefined ? 'cgroup' : 'default',
  }
}
