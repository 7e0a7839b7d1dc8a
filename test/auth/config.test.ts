// The access variables: defaults (writes open), files for Docker secrets, and a bad value stops the start
// with a message naming the variable.
import { describe, expect, it } from 'vitest'
import { OPEN_ACCESS, writesClosed } from '../../src/auth/access.js'
import { ConfigError, loadConfig } from '../../src/config.js'

const loadAccessConfig = (env: NodeJS.ProcessEnv, read: (path: string) => string) => loadConfig(env, read).access

const KEY = 'q3Zb0m3V7m9hQmJ2Zk9aR0p6V2xXeHlUM2xNbkE9PQ=='
const KEY2 = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5'
const SECRET = 'c2Vzc2lvbiBzZWNyZXQgb2YgYXQgbGVhc3QgMzIgYnl0ZXM='
const HASH = '$scrypt$ln=15,r=8,p=3$AtXsIy5zjhvqAHM1STtBdg$dVQ0aVMYsZFcattLARZQvbR/lHpoL7IKy132PYBTu0U'

function files(contents: Record<string, string>) {
  return (path: string): string => {
    const text = contents[path]
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' })
    return text
  }
}

function refusal(env: NodeJS.ProcessEnv, read = files({})): string {
  try {
    loadAccessConfig(env, read)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('the configuration was accepted')
}

describe('loadAccessConfig', () => {
  it('leaves writes open when nothing is set', () => {
    const config = loadAccessConfig({}, files({}))
    expect(config).toEqual(OPEN_ACCESS)
    expect(writesClosed(config)).toBe(false)
    expect(config.sessionSeconds).toBe(8 * 3600)
  })

  it('reads API_KEYS as label=key pairs, keys with base64 padding included', () => {
    const config = loadAccessConfig({ API_KEYS: `ci=${KEY}, shop=${KEY2}` }, files({}))
    expect(config.apiKeys).toEqual([
      { label: 'ci', key: KEY },
      { label: 'shop', key: KEY2 },
    ])
    expect(writesClosed(config)).toBe(true)
  })

  it('reads API_KEYS_FILE one label=key a line, skipping blank lines and # comments', () => {
    const config = loadAccessConfig({ API_KEYS_FILE: '/run/secrets/keys' }, files({ '/run/secrets/keys': `# keys\nci=${KEY}\r\n\nshop=${KEY2}\n` }))
    expect(config.apiKeys.map((entry) => entry.label)).toEqual(['ci', 'shop'])
  })

  it.each([
    [{ API_KEYS: 'ci' }, /^API_KEYS: entry 1 must be label=key: a label of a-z/],
    [{ API_KEYS: `ci=${KEY},Bad Label=${KEY2}` }, /^API_KEYS: entry 2 must be label=key: a label of a-z, 0-9, _ and -/],
    [{ API_KEYS: 'ci=short' }, /^API_KEYS: entry 1 must be label=key: .*a key of at least 32 characters.*openssl rand -base64 32/],
    [{ API_KEYS: `ci=${KEY},ci=${KEY2}` }, /^API_KEYS: the label "ci" is used twice/],
    [{ API_KEYS: `ci=${KEY},shop=${KEY}` }, /^API_KEYS: the key labelled "shop" is also another label's key/],
    [{ API_KEYS: `ci=${KEY}`, API_KEYS_FILE: '/k' }, /^API_KEYS and API_KEYS_FILE are both set/],
    [{ API_KEYS_FILE: '/missing' }, /^API_KEYS_FILE names a file that cannot be read: \/missing \(ENOENT\)/],
    [{ METRICS_TOKEN: KEY, METRICS_TOKEN_FILE: '/t' }, /^METRICS_TOKEN and METRICS_TOKEN_FILE are both set/],
    [{ METRICS_TOKEN: 'short' }, /^METRICS_TOKEN must be at least 32 characters/],
    [{ SESSION_HOURS: '0' }, /^SESSION_HOURS must be a whole number of hours/],
    [{ SESSION_HOURS: '8h' }, /^SESSION_HOURS must be a whole number of hours/],
    [{ CORS_ORIGINS: 'https://shop.example.com/' }, /^CORS_ORIGINS must be a comma-separated list of origins.*"https:\/\/shop.example.com\/" is not one/],
    [{ CORS_ORIGINS: '*' }, /^CORS_ORIGINS must be/],
    [{ SESSION_SECRET: 'too short' }, /^SESSION_SECRET must be at least 32 bytes/],
  ])('refuses %o', (env, message) => {
    expect(refusal(env)).toMatch(message)
  })

  it('reads EDITORS_FILE, which needs SESSION_SECRET of at least 32 bytes', () => {
    const read = files({ '/editors': `alice:${HASH}\n`, '/secret': `${SECRET}\n` })
    expect(refusal({ EDITORS_FILE: '/editors' }, read)).toMatch(/^SESSION_SECRET \(or SESSION_SECRET_FILE\) is required with EDITORS_FILE/)
    const config = loadAccessConfig({ EDITORS_FILE: '/editors', SESSION_SECRET_FILE: '/secret', SESSION_HOURS: '12' }, read)
    expect(config.editors.map((entry) => entry.name)).toEqual(['alice'])
    expect(config.sessionSecret).toBe(SECRET)
    expect(config.sessionSeconds).toBe(12 * 3600)
    expect(writesClosed(config)).toBe(true)
  })

  it.each([
    ['alice', /^EDITORS_FILE: line 1 must be name:hash/],
    ['alice:plaintext-password', /^EDITORS_FILE: the hash of "alice" on line 1 is not a scrypt hash/],
    [`alice:${HASH.replace('ln=15', 'ln=30')}`, /^EDITORS_FILE: the hash of "alice" on line 1 has ln=30; it must be from 14 to 20/],
    [`alice:${HASH}\nAlice:${HASH}`, /^EDITORS_FILE: "Alice" is listed twice/],
    // Sign-in folds names further than lower case (ß is ss): the second could never sign in.
    [`straße:${HASH}\nSTRASSE:${HASH}`, /^EDITORS_FILE: "STRASSE" is listed twice/],
    // Over the 64 MiB a hash may take (128 × 2^ln × r bytes): 256 MiB, and 4 GiB.
    [`# ok\nalice:${HASH}\nbob:${HASH.replace('ln=15', 'ln=18')}`, /^EDITORS_FILE: the hash of "bob" on line 3 has ln=18,r=8: each sign-in would take 256 MiB; at most 64 MiB/],
    [`alice:${HASH.replace('ln=15,r=8,p=3', 'ln=20,r=32,p=16')}`, /^EDITORS_FILE: the hash of "alice" on line 1 has ln=20,r=32: each sign-in would take 4096 MiB/],
    ['# nobody yet\n', /^EDITORS_FILE names a file with no name:hash line/],
  ])('refuses the editors file %j', (content, message) => {
    expect(refusal({ EDITORS_FILE: '/editors', SESSION_SECRET: SECRET }, files({ '/editors': content }))).toMatch(message)
  })

  // Issue 24: a key sent without its label has a "=" of base64 padding, and what stands before it is the key.
  it.each([
    [{ API_KEYS: KEY }, files({})],
    [{ API_KEYS: `ci=${KEY2},${KEY}` }, files({})],
    [{ API_KEYS_FILE: '/keys' }, files({ '/keys': `# keys\nci=${KEY2}\n${KEY}\n` })],
  ])('refuses a key without a label and shows no part of it: %o', (env, read) => {
    const message = refusal(env, read)
    expect(message).toMatch(/^API_KEYS(_FILE)?: (entry|line) \d must be label=key/)
    for (let at = 0; at + 6 <= KEY.length; at++) expect(message).not.toContain(KEY.slice(at, at + 6))
  })

  it('names the line of API_KEYS_FILE that is wrong, counting comments and blank lines', () => {
    expect(refusal({ API_KEYS_FILE: '/keys' }, files({ '/keys': `# keys\n\nci=${KEY}\nshop=short\n` }))).toMatch(/^API_KEYS_FILE: line 4 must be label=key/)
  })

  it('reads METRICS_TOKEN_FILE like METRICS_TOKEN, naming the file variable when its token is too short', () => {
    expect(loadAccessConfig({ METRICS_TOKEN_FILE: '/token' }, files({ '/token': `${KEY}\n` })).metricsToken).toBe(KEY)
    const message = refusal({ METRICS_TOKEN_FILE: '/token' }, files({ '/token': 'short-token\n' }))
    expect(message).toMatch(/^METRICS_TOKEN_FILE must be at least 32 characters/)
    expect(message).not.toContain('short-token')
  })
})
