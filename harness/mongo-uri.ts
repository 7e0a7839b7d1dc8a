import { randomBytes } from 'node:crypto'

/**
 * `base` with its database replaced by `dbName`, keeping hosts, credentials and options. Multi-host URIs are
 * not valid WHATWG URLs, so this slices the text instead of using URL.
 */
export function withDatabase(base: string, dbName: string): string {
  const schemeEnd = base.indexOf('://')
  if (schemeEnd < 0) throw new Error(`not a mongodb:// URI: ${redactUri(base)}`)
  const hostsStart = schemeEnd + 3
  const queryAt = base.indexOf('?', hostsStart)
  const slashAt = base.indexOf('/', hostsStart)
  const hostsEnd = Math.min(...[slashAt, queryAt, base.length].filter((i) => i >= 0))
  const oldDb = slashAt >= 0 && (queryAt < 0 || slashAt < queryAt) ? base.slice(slashAt + 1, queryAt < 0 ? undefined : queryAt) : ''
  const params = new URLSearchParams(queryAt < 0 ? '' : base.slice(queryAt + 1))
  // With credentials the driver authenticates against the path database; keep that one.
  if (base.slice(hostsStart, hostsEnd).includes('@') && oldDb !== '' && !params.has('authSource')) {
    params.set('authSource', decodeURIComponent(oldDb))
  }
  const query = params.toString()
  return `${base.slice(0, hostsEnd)}/${dbName}${query === '' ? '' : `?${query}`}`
}

/** Whether the URI names one host (the harness then connects to it directly, whatever its replica set). */
export function singleHost(uri: string): boolean {
  if (uri.startsWith('mongodb+srv:')) return false
  const hosts = uri.slice(uri.indexOf('://') + 3).split(/[/?]/, 1)[0] ?? ''
  return !hosts.includes(',')
}

/** `<name>_<8 hex>`: a database of its own per caller, so parallel test files never share data. */
export function uniqueDatabaseName(name: string): string {
  // Database names may not contain / \ . " $ or spaces, and are at most 63 bytes.
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'test'
  return `${safe}_${randomBytes(4).toString('hex')}`
}

/** The URI with any user:password removed, for logs. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@')
}
