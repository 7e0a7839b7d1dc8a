// MONGODB_URI without a database name (mongodb://host:port/) stores into `items`, not the driver's `test`.
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { DEFAULT_DATABASE, uriDatabaseName } from '../../src/plugins/database.js'
import { startApp } from '../../harness/app.js'
import { postJson } from '../../harness/http.js'
import { serverUri } from '../setup/test-app.js'

describe('the database a URI names', () => {
  it.each([
    ['mongodb://127.0.0.1:27017/', undefined],
    ['mongodb://127.0.0.1:27017', undefined],
    ['mongodb://127.0.0.1:27017/?replicaSet=rs0', undefined],
    ['mongodb://127.0.0.1:27017?appName=a/b', undefined],
    ['mongodb://a:1,b:2/shop?w=majority', 'shop'],
    ['mongodb://user:p%40ss@127.0.0.1/my%20db', 'my db'],
  ])('%s names %s', (uri, name) => {
    expect(uriDatabaseName(uri)).toBe(name)
  })

  it(`a URI that names none stores into "${DEFAULT_DATABASE}"`, async () => {
    // The harness's server, with any database name taken out of its URI.
    const base = serverUri().replace(/^([a-z+]+:\/\/[^/?]*)(\/[^?]*)?/i, '$1/')
    expect(uriDatabaseName(base)).toBeUndefined()
    const running = await startApp({ mongodbUri: base })
    const client = new MongoClient(base, { serverSelectionTimeoutMS: 5_000 })
    // The `items` database may hold a developer's own data: afterwards it is dropped only if this test made it,
    // else only this test's item is removed.
    const name = `database-name-check-${randomBytes(4).toString('hex')}`
    const existed = (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.some((db) => db.name === DEFAULT_DATABASE)
    try {
      expect((await postJson(running.baseUrl, { name, price: 1 })).status).toBe(201)
      expect(running.app.db.connection.name).toBe(DEFAULT_DATABASE)
      const items = client.db(DEFAULT_DATABASE).collection<{ _id: string }>('items')
      expect(await items.countDocuments({ _id: name })).toBe(1)
      expect(await client.db('test').collection<{ _id: string }>('items').countDocuments({ _id: name })).toBe(0)
    } finally {
      if (existed) await client.db(DEFAULT_DATABASE).collection<{ _id: string }>('items').deleteOne({ _id: name })
      else await client.db(DEFAULT_DATABASE).dropDatabase()
      await client.close()
      await running.app.close()
    }
  })
})
