// The README's configuration table: defaults, empty means default, and a bad value stops the start with a
// message naming the variable.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, ENV_SCHEMA, loadConfig } from '../src/config.js'

/** The README's configuration table: each row's variables (first column) and its default (second). */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1))
  const rows = new Map<string, string>()
  for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
    const [names = '', fallback = ''] = line.split('|').slice(1).map((cell) => cell.trim())
    for (const [, name] of names.matchAll(/`([A-Z_]+)`/g)) rows.set(name ?? '', fallback)
  }
  return rows
}

describe('the README configuration table', () => {
  it('lists every variable of the schema, and only those, with the schema\'s default', () => {
    const table = readmeTable()
    const properties = ENV_SCHEMA.properties as Record<string, { default?: string | number }>
    expect([...table.keys()].sort()).toEqual(Object.keys(properties).sort())
    for (const [name, schema] of Object.entries(properties)) {
      if (schema.default !== undefined) expect(`${name}: ${table.get(name) ?? ''}`).toBe(`${name}: \`${String(schema.default)}\``)
    }
  })
})

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    // The load limits have tests of their own (test/load-limits-config.test.ts).
    expect({ ...loadConfig({}), loadLimits: undefined, access: undefined }).toEqual({
      loadLimits: undefined,
      access: undefined,
      port: 8000,
      host: '127.0.0.1',
      mongodbUri: 'mongodb://127.0.0.1:27017/items',
      logLevel: 'info',
      metrics: true,
      rateLimitCreates: 120,
      trustProxy: false,
      readCacheBytes: 16 * 2 ** 20,
    })
  })

  it('treats an empty variable as unset', () => {
    expect(
      loadConfig({ PORT: '', HOST: '', MONGODB_URI: '', LOG_LEVEL: '', METRICS: '', RATE_LIMIT_CREATES: '', TRUST_PROXY: '', READ_CACHE_MB: '' }),
    ).toEqual(loadConfig({}))
  })

  it('reads every variable', () => {
    expect({
      ...loadConfig({
        PORT: '3000',
        HOST: '0.0.0.0',
        MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/shop?retryWrites=true',
        LOG_LEVEL: 'debug',
        METRICS: 'off',
        RATE_LIMIT_CREATES: '30',
        TRUST_PROXY: '192.0.2.10, 198.51.100.0/24',
        READ_CACHE_MB: '64',
      }),
      loadLimits: undefined,
      access: undefined,
    }).toEqual({
      loadLimits: undefined,
      access: undefined,
      port: 3000,
      host: '0.0.0.0',
      mongodbUri: 'mongodb+srv://user:pw@cluster.example.net/shop?retryWrites=true',
      logLevel: 'debug',
      metrics: false,
      rateLimitCreates: 30,
      trustProxy: ['192.0.2.10', '198.51.100.0/24'],
      readCacheBytes: 64 * 2 ** 20,
    })
  })

  it('turns the read cache off with READ_CACHE_MB=0 and refuses what is not a whole number of MiB', () => {
    expect(loadConfig({ READ_CACHE_MB: '0' }).readCacheBytes).toBe(0)
    for (const bad of ['-1', '1.5', '16MB', '65537']) {
      expect(() => loadConfig({ READ_CACHE_MB: bad }), bad).toThrow(/^READ_CACHE_MB must be a whole number from 0 \(no cache\) to 65536/)
    }
  })

  it.each(['0', '1', '65535'])('accepts PORT=%s', (port) => {
    expect(loadConfig({ PORT: port }).port).toBe(Number(port))
  })

  it.each(['::1', 'localhost', 'item-store.internal'])('accepts HOST=%s', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host)
  })

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level)
  })

  it.each([
    ['0', 0],
    ['1', 1],
    ['1000000', 1_000_000],
  ])('accepts RATE_LIMIT_CREATES=%s (0 = no limit)', (raw, expected) => {
    expect(loadConfig({ RATE_LIMIT_CREATES: raw }).rateLimitCreates).toBe(expected)
  })

  it.each([
    ['off', false],
    ['0', false],
    ['127.0.0.1', ['127.0.0.1']],
    ['::1,198.51.100.0/24, fd00::/8', ['::1', '198.51.100.0/24', 'fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('accepts TRUST_PROXY=%s', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected)
  })

  it('trusts exactly as many proxies as a TRUST_PROXY hop count says', () => {
    const trust = loadConfig({ TRUST_PROXY: '2' }).trustProxy
    if (typeof trust !== 'function') throw new Error('a hop count must become a trust function')
    expect([0, 1, 2].map((hop) => trust('192.0.2.10', hop))).toEqual([true, true, false])
  })

  it.each(['mongodb://db:27017/items', 'mongodb://a:1,b:2/items?replicaSet=rs0', 'mongodb://127.0.0.1'])(
    'accepts MONGODB_URI=%s',
    (uri) => {
      expect(loadConfig({ MONGODB_URI: uri }).mongodbUri).toBe(uri)
    },
  )

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', ' 80'],
    ['PORT', '1e3'],
    ['PORT', '0x50'],
    ['HOST', ' '],
    ['HOST', 'local host'],
    ['MONGODB_URI', 'localhost:27017'],
    ['MONGODB_URI', 'http://127.0.0.1:27017/items'],
    ['MONGODB_URI', 'mongodb://'],
    ['MONGODB_URI', 'mongodb:///items'],
    ['MONGODB_URI', 'mongodb://db:99999/items'],
    ['MONGODB_URI', 'mongodb://db/items?notAnOption=1'],
    ['MONGODB_URI', 'mongodb+srv://cluster.example.net:27017/items'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['LOG_LEVEL', ' info'],
    ['METRICS', 'true'],
    ['METRICS', 'OFF'],
    ['RATE_LIMIT_CREATES', '-1'],
    ['RATE_LIMIT_CREATES', '1.5'],
    ['RATE_LIMIT_CREATES', 'lots'],
    ['RATE_LIMIT_CREATES', '1000001'],
    ['RATE_LIMIT_CREATES', '1e3'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '-1'],
    ['TRUST_PROXY', '192.0.2.300'],
    ['TRUST_PROXY', '198.51.100.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '192.0.2.10,'],
  ])('refuses %s=%j with a message naming it', (name, value) => {
    let thrown: unknown
    try {
      loadConfig({ [name]: value })
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    expect((thrown as ConfigError).message).toMatch(new RegExp(`^${name} `))
  })

  it.each(['mongodb://user:s3cret@', 'mongodb://user:s3cret@db:99999/items', 'mongodb://user:s3cret@db/items?bad=1'])(
    'does not echo the password of the bad MONGODB_URI %s',
    (uri) => {
      expect(() => loadConfig({ MONGODB_URI: uri })).toThrow(ConfigError)
      expect(() => loadConfig({ MONGODB_URI: uri })).not.toThrow(/s3cret/)
    },
  )
})
