import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'

/**
 * A URI for a database of its own (name + random suffix) on the server that test/setup/mongo-server.ts
 * found, so test files can run in parallel and never see each other's data. Keeps the base URI's hosts,
 * credentials and query string.
 */
export function testDbUri(name: string): string {
  const base = inject('mongoUri') as string | undefined
  if (base === undefined || base === '') {
    throw new Error('no mongoUri was provided: run this test through vitest with test/setup/mongo-server.ts as globalSetup')
  }
  // Database names may not contain / \ . " $ spaces; keep them short (the limit is 63 bytes).
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'test'
  const dbName = `${safe}_${randomBytes(4).toString('hex')}`

  const schemeEnd = base.indexOf('://')
  if (schemeEnd < 0) throw new Error(`mongoUri is not a mongodb:// URI: ${base}`)
  const hostsStart = schemeEnd + 3
  const queryAt = base.indexOf('?', hostsStart)
  const slashAt = base.indexOf('/', hostsStart)
  const hostsEnd = Math.min(...[slashAt, queryAt, base.length].filter((i) => i >= 0))
  const prefix = base.slice(0, hostsEnd)
  const oldDb = slashAt >= 0 && (queryAt < 0 || slashAt < queryAt) ? base.slice(slashAt + 1, queryAt < 0 ? undefined : queryAt) : ''
  const params = new URLSearchParams(queryAt < 0 ? '' : base.slice(queryAt + 1))
  // With credentials the driver authenticates against the path database; keep that one.
  if (base.slice(hostsStart, hostsEnd).includes('@') && oldDb !== '' && !params.has('authSource')) {
    params.set('authSource', decodeURIComponent(oldDb))
  }
  const query = params.toString()
  return `${prefix}/${dbName}${query === '' ? '' : `?${query}`}`
}
