// Reference: a minimal Fastify app as its guide writes one: the default logger at info (a line per request
// and per response, to stdout), a JSON schema on the body, the native MongoDB driver; no other plugins
// beyond @fastify/formbody for the form.
import formbody from '@fastify/formbody'
import Fastify from 'fastify'
import { Long, MongoClient } from 'mongodb'
import { FORM_PAGE } from './form-page.js'

interface StoredItem {
  _id: string
  priceCents: Long | number
  description: string | null
  taxCents: Long | number | null
  createdAt: Date
}

const client = new MongoClient(process.env.MONGODB_URI ?? '')
const items = client.db().collection<StoredItem>('items')

const toJson = (doc: StoredItem): { name: string; price: number; description: string | null; tax: number | null } => ({
  name: doc._id,
  price: Number(doc.priceCents) / 100,
  description: doc.description,
  tax: doc.taxCents === null ? null : Number(doc.taxCents) / 100,
})

const cents = (value: unknown): Long | null => (value === undefined || value === null || value === '' ? null : Long.fromNumber(Math.round(Number(value) * 100)))

const app = Fastify({ logger: { level: 'info' } })
await app.register(formbody)

const itemBody = {
  type: 'object',
  required: ['name', 'price'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    price: { type: 'number', minimum: 0 },
    description: { type: ['string', 'null'] },
    tax: { type: ['number', 'null'], minimum: 0 },
  },
} as const
const formBody = {
  type: 'object',
  required: ['name', 'price'],
  properties: { name: { type: 'string', minLength: 1 }, price: { type: 'string' }, description: { type: 'string' }, tax: { type: 'string' } },
} as const

app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(FORM_PAGE))
app.get('/readyz', async () => {
  await client.db().command({ ping: 1 })
  return { status: 'ready' }
})

app.get<{ Querystring: { limit?: number; after?: string } }>(
  '/items/',
  { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', default: 20 }, after: { type: 'string' } } } } },
  async (request) => {
    const limit = request.query.limit ?? 20
    const after = request.query.after
    const docs = await items
      .find(after === undefined ? {} : { _id: { $gt: after } })
      .sort({ _id: 1 })
      .limit(limit + 1)
      .toArray()
    const page = docs.slice(0, limit)
    return { items: page.map(toJson), next: docs.length > limit ? (page.at(-1)?._id ?? null) : null }
  },
)

app.get<{ Params: { name: string } }>('/items/:name/', async (request, reply) => {
  const doc = await items.findOne({ _id: request.params.name })
  if (doc === null) return reply.code(404).send({ detail: 'Item not found' })
  return toJson(doc)
})

app.post<{ Body: { name: string; price: number; description?: string | null; tax?: number | null } }>(
  '/items/new/',
  { schema: { body: itemBody } },
  async (request, reply) => {
    const { name, price, description = null, tax = null } = request.body
    await items.insertOne({ _id: name, priceCents: cents(price) ?? 0, description, taxCents: cents(tax), createdAt: new Date() })
    return reply.code(201).header('location', `/items/${encodeURIComponent(name)}/`).send({ name, price, description, tax })
  },
)

app.post<{ Body: { name: string; price: string; description?: string; tax?: string } }>(
  '/items/new/form/',
  { schema: { body: formBody } },
  async (request, reply) => {
    const { name, price, description = '', tax } = request.body
    await items.insertOne({ _id: name, priceCents: cents(price) ?? 0, description, taxCents: cents(tax) ?? 0, createdAt: new Date() })
    return reply.redirect(`/catalogue/${encodeURIComponent(name)}/?result=created`, 303)
  },
)

await client.connect()
await app.listen({ port: Number(process.env.PORT ?? '0'), host: '127.0.0.1' })

function close(): void {
  void app.close().then(async () => {
    await client.close()
    process.exit(0)
  })
}
process.once('SIGTERM', close)
process.once('SIGINT', close)
