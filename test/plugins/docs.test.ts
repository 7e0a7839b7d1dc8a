// The OpenAPI document (src/plugins/docs.ts) as a client generator reads it: no database needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
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

beforeAll(async () => {
  app = await buildApp({ mongodbUri: `mongodb://127.0.0.1:${await freeLoopbackPort()}/unreachable`, dbOperationTimeoutMs: 200 }, { logger: false })
  await app.ready()
})

afterAll(async () => {
  await app.close()
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
