// Configuration comes only from the environment and is checked once at start, so a typo stops the
// process with a message naming the variable instead of surfacing later as a strange failure.
import { mongo } from 'mongoose'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]

interface Config {
  port: number
  host: string
  mongodbUri: string
  logLevel: LogLevel
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const DEFAULTS = {
  PORT: '8000',
  HOST: '127.0.0.1',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/items',
  LOG_LEVEL: 'info',
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
  }
}
