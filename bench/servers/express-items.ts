// The items part of the two Express references (express.ts, the tutorial app; express-production.ts, the
// same app as production runs it): a Mongoose model as the Express and Mongoose guides write one, its routes,
// and the start and stop. Same stored shape as the service's (money in hundredths), so it reads the bench's
// preloaded items.
import express, { type Express, type RequestHandler } from 'express'
import mongoose from 'mongoose'
import { FORM_PAGE } from './form-page.js'

const itemSchema = new mongoose.Schema(
  {
    _id: String,
    priceCents: { type: BigInt, required: true },
    description: String,
    taxCents: BigInt,
  },
  { collection: 'items', versionKey: false, timestamps: { createdAt: true, updatedAt: false } },
)
const Item = mongoose.model('Item', itemSchema)

interface LeanItem {
  _id: string
  priceCents: number | bigint
  description?: string | null
  taxCents?: number | bigint | null
}

const toJson = (doc: LeanItem): { name: string; price: number; description: string | null; tax: number | null } => ({
  name: doc._id,
  price: Number(doc.priceCents) / 100,
  description: doc.description ?? null,
  tax: doc.taxCents === null || doc.taxCents === undefined ? null : Number(doc.taxCents) / 100,
})

const cents = (value: unknown): bigint | undefined => (value === undefined || value === null || value === '' ? undefined : BigInt(Math.round(Number(value) * 100)))

/** Middleware run before each create route's handler (the production app's rate limit and API key). */
export interface CreateGuards {
  json: RequestHandler[]
  form: RequestHandler[]
}

/** The routes the bench drives, on `app`, after whatever middleware the app put first. */
export function itemRoutes(app: Express, guards: CreateGuards = { json: [], form: [] }): void {
  app.get('/', (_req, res) => {
    res.type('html').send(FORM_PAGE)
  })

  app.get('/readyz', (_req, res) => {
    res.json({ status: mongoose.connection.readyState === mongoose.ConnectionStates.connected ? 'ready' : 'starting' })
  })

  app.get('/items/', async (req, res) => {
    const limit = Number(req.query.limit ?? 20)
    const after = typeof req.query.after === 'string' ? req.query.after : undefined
    const docs = await Item.find(after === undefined ? {} : { _id: { $gt: after } })
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean<LeanItem[]>()
    const page = docs.slice(0, limit)
    res.json({ items: page.map(toJson), next: docs.length > limit ? (page.at(-1)?._id ?? null) : null })
  })

  app.get('/items/:name/', async (req, res) => {
    const doc = await Item.findById(req.params.name).lean<LeanItem>()
    if (doc === null) res.status(404).json({ detail: 'Item not found' })
    else res.json(toJson(doc))
  })

  app.post('/items/new/', ...guards.json, async (req, res) => {
    const body = req.body as { name: string; price: number; description?: string | null; tax?: number | null }
    const doc = await Item.create({ _id: body.name, priceCents: cents(body.price), description: body.description ?? null, taxCents: cents(body.tax) })
    res.status(201).location(`/items/${encodeURIComponent(body.name)}/`).json(toJson(doc.toObject() as LeanItem))
  })

  app.post('/items/new/form/', ...guards.form, async (req, res) => {
    const body = req.body as Record<string, string>
    const doc = await Item.create({ _id: body.name, priceCents: cents(body.price), description: body.description ?? '', taxCents: cents(body.tax) ?? 0n })
    res.redirect(303, `/catalogue/${encodeURIComponent(String(doc._id))}/?result=created`)
  })
}

/** Connects, listens on PORT (loopback), and closes on SIGTERM or SIGINT. */
export async function serve(app: Express): Promise<void> {
  await mongoose.connect(process.env.MONGODB_URI ?? '')
  const server = app.listen(Number(process.env.PORT ?? '0'), '127.0.0.1')
  const close = (): void => {
    server.close()
    server.closeIdleConnections()
    void mongoose.disconnect().then(() => process.exit(0))
  }
  process.once('SIGTERM', close)
  process.once('SIGINT', close)
}

export { express }
