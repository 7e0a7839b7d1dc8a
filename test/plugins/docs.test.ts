// The OpenAPI document (src/plugins/docs.ts) as a client generator reads it: no database needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { accessConfig, editor, newKey } from '../../harness/access.js'
import { buildApp } from '../../src/app.js'
import { LIST_LIMIT_DEFAULT } from '../../src/items/schemas.js'
import { get } from '../../harness/http.js'
import { freeLoopbackPort } from '../../harness/ports.js'

interface Parameter {
  name: string
  in: string
  required?: boolean
  schema: { default?: unknown }
}

let app: FastifyInstance
let withEditors: FastifyInstance

beforeAll(async () => {
  const mongodbUri = `mongodb://127.0.0.1:${await freeLoopbackPort()}/unreachable`
  app = await buildApp({ mongodbUri, dbOperationTimeoutMs: 200 }, { logger: false })
  const access = accessConfig({ editors: [await editor('alice', 'correct horse battery staple')], sessionSecret: newKey() })
  withEditors = await buildApp({ mongodbUri, dbOperationTimeoutMs: 200, access }, { logger: false })
  await Promise.all([app.ready(), withEditors.ready()])
})

afterAll(async () => {
  await Promise.all([app.close(), withEditors.close()])
})

describe('/openapi.json', () => {
  it('does not mark a query parameter with a default as required; a path parameter stays required', async () => {
    const doc = (await get(app, '/openapi.json')).json as { paths: Record<string, { get: { parameters: Parameter[] } }> }
    const limit = doc.paths['/items/']?.get.parameters.find((parameter) => parameter.name === 'limit')
    expect(limit).toMatchObject({ in: 'query', schema: { default: LIST_LIMIT_DEFAULT } })
    expect(limit?.required).not.toBe(true)
    expect(doc.paths['/items/{name}/']?.get.parameters.find((parameter) => parameter.name === 'name')?.required).toBe(true)
  })
})

describe('/openapi.json with editors configured', () => {
  type Operation = { tags?: string[]; responses: Record<string, unknown> }

  it('lists GET and POST /signin and POST /signout under sign-in, with their answers', async () => {
    const doc = (await get(withEditors, '/openapi.json')).json as { paths: Record<string, Record<string, Operation>> }
    const [page, signin, signout] = [doc.paths['/signin']?.get, doc.paths['/signin']?.post, doc.paths['/signout']?.post]
    for (const operation of [page, signin, signout]) expect(operation?.tags).toEqual(['sign-in'])
    expect(Object.keys(page?.responses ?? {})).toEqual(expect.arrayContaining(['200', '422']))
    expect(Object.keys(signin?.responses ?? {})).toEqual(expect.arrayContaining(['303', '403', '415', '422', '429', '503']))
    expect(Object.keys(signout?.responses ?? {})).toEqual(expect.arrayContaining(['303', '403']))
  })

  it('leaves them out while writes are open, where nobody signs in', async () => {
    const doc = (await get(app, '/openapi.json')).json as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).not.toContain('/signin')
    expect(Object.keys(doc.paths)).not.toContain('/signout')
  })
})
