// The README's configuration table: defaults, empty means default, and a bad value stops the start with a
// message naming the variable.
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      port: 8000,
      host: '127.0.0.1',
      mongodbUri: 'mongodb://127.0.0.1:27017/items',
      logLevel: 'info',
    })
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '', MONGODB_URI: '', LOG_LEVEL: '' })).toEqual(loadConfig({}))
  })

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '3000',
        HOST: '0.0.0.0',
        MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/shop?retryWrites=true',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      port: 3000,
      host: '0.0.0.0',
      mongodbUri: 'mongodb+srv://user:pw@cluster.example.net/shop?retryWrites=true',
      logLevel: 'debug',
    })
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
