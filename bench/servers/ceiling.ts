// The ceiling: what the same work costs with no framework, no validation, no logging. A bare node:http
// server with the native mongodb driver serving the bench's five requests on the same database server
// (its own database).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Long, MongoClient, ObjectId } from 'mongodb'
import type { StoredItem } from '../../harness/items.js'
import { FORM_PAGE } from './form-page.js'

const port = Number(process.env.PORT ?? '0')
const uri = process.env.MONGODB_URI ?? ''

const client = new MongoClient(uri)
const items = client.db().collection<StoredItem>('items')
const projection = { _id: 1, priceCents: 1, description: 1, taxCents: 1 }

interface ReadItem {
  _id: string
  priceCents: number
  description: string | null
  taxCents: number | null
}

function toJson(doc: ReadItem): { name: string; price: number; description: string | null; tax: number | null } {
  return { name: doc._id, price: doc.priceCents / 100, description: doc.description, tax: doc.taxCents === null ? null : doc.taxCents / 100 }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function insert(name: string, priceCents: number, description: string | null, taxCents: number | null): Promise<boolean> {
  try {
    await items.insertOne({
      _id: name,
      priceCents: Long.fromNumber(priceCents),
      description,
      taxCents: taxCents === null ? null : Long.fromNumber(taxCents),
      createdAt: new Date(),
      writeToken: new ObjectId(),
    })
    return true
  } catch (err) {
    if ((err as { code?: unknown }).code === 11000) return false
    throw err
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/'
  const queryAt = url.indexOf('?')
  const path = queryAt < 0 ? url : url.slice(0, queryAt)
  if (req.method === 'GET' && path === '/') {
    send(res, 200, 'text/html; charset=utf-8', FORM_PAGE)
    return
  }
  if (req.method === 'GET' && path === '/readyz') {
    await client.db().command({ ping: 1 })
    send(res, 200, 'application/json', '{"status":"ready"}')
    return
  }
  if (req.method === 'GET' && path === '/items/') {
    const limit = Number(new URLSearchParams(url.slice(queryAt + 1)).get('limit') ?? '20')
    const after = new URLSearchParams(url.slice(queryAt + 1)).get('after')
    const docs = (await items
      .find(after === null ? {} : { _id: { $gt: after } }, { projection })
      .sort({ _id: 1 })
      .limit(limit + 1)
      .toArray()) as unknown as ReadItem[]
    const page = docs.slice(0, limit)
    const next = docs.length > limit ? (page.at(-1)?._id ?? null) : null
    send(res, 200, 'application/json', JSON.stringify({ items: page.map(toJson), next }))
    return
  }
  if (req.method === 'GET' && path.startsWith('/items/')) {
    const name = decodeURIComponent(path.slice('/items/'.length).replace(/\/$/, ''))
    const doc = (await items.findOne({ _id: name }, { projection })) as ReadItem | null
    if (doc === null) send(res, 404, 'application/json', '{"detail":"Item not found"}')
    else send(res, 200, 'application/json', JSON.stringify(toJson(doc)))
    return
  }
  if (req.method === 'POST' && path === '/items/new/') {
    const body = JSON.parse(await readBody(req)) as { name: string; price: number; description?: string | null; tax?: number | null }
    const item = { name: body.name, price: body.price, description: body.description ?? null, tax: body.tax ?? null }
    const created = await insert(item.name, Math.round(item.price * 100), item.description, item.tax === null ? null : Math.round(item.tax * 100))
    if (created) send(res, 201, 'application/json', JSON.stringify(item), { location: `/items/${encodeURIComponent(item.name)}/` })
    else send(res, 409, 'application/json', '{"detail":"already present"}')
    return
  }
  if (req.method === 'POST' && path === '/items/new/form/') {
    const form = new URLSearchParams(await readBody(req))
    const name = form.get('name') ?? ''
    const price = Number(form.get('price'))
    const tax = Number(form.get('tax') ?? '0')
    const description = form.get('description') ?? ''
    const created = await insert(name, Math.round(price * 100), description, Math.round(tax * 100))
    // As the service does: 303 to the stored item's page (Post/Redirect/Get).
    if (created) send(res, 303, 'text/plain; charset=utf-8', '', { location: `/catalogue/${encodeURIComponent(name)}/?result=created` })
    else send(res, 409, 'text/html; charset=utf-8', '<!doctype html><p>already present</p>')
    return
  }
  send(res, 404, 'application/json', '{"detail":"Not Found"}')
}

await client.connect()
const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    console.error(err)
    if (!res.headersSent) send(res, 500, 'application/json', '{"detail":"error"}')
  })
})
server.keepAliveTimeout = 5_000
server.listen(port, '127.0.0.1')

function close(): void {
  server.close()
  server.closeIdleConnections()
  void client.close().then(() => process.exit(0))
}
process.once('SIGTERM', close)
process.once('SIGINT', close)
