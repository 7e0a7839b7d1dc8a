// Reference: the tutorial app (express.ts) as production runs it, with the features the service has and
// the libraries an Express app takes for them: an access log line per request (pino-http, pino's defaults),
// security headers (helmet's defaults), a create limit per client address over both create routes
// (express-rate-limit, RATE_LIMIT_CREATES a minute), an API key on the JSON create when API_KEYS is set
// (compared in constant time), and prom-client's default metrics plus a request histogram by method, route
// and status on GET /metrics. Beside the tutorial app, it prices the features; beside the service, the framework.
import helmet from 'helmet'
import { rateLimit } from 'express-rate-limit'
import { timingSafeEqual } from 'node:crypto'
import { pinoHttp } from 'pino-http'
import { collectDefaultMetrics, Histogram, register } from 'prom-client'
import { express, itemRoutes, serve } from './express-items.js'
import type { RequestHandler } from 'express'

collectDefaultMetrics()
const requestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
})

const keys = (process.env.API_KEYS ?? '')
  .split(',')
  .filter((entry) => entry.includes('='))
  .map((entry) => Buffer.from(entry.slice(entry.indexOf('=') + 1)))

const apiKey: RequestHandler = (req, res, next) => {
  if (keys.length === 0) {
    next()
    return
  }
  const token = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''))
  if (keys.some((key) => key.length === token.length && timingSafeEqual(key, token))) next()
  else res.status(401).set('www-authenticate', 'Bearer').json({ detail: 'An API key is needed' })
}

const createLimit = rateLimit({ windowMs: 60_000, limit: Number(process.env.RATE_LIMIT_CREATES ?? '120'), standardHeaders: 'draft-8', legacyHeaders: false })

const app = express()
app.use(pinoHttp())
app.use(helmet())
app.use((req, res, next) => {
  const end = requestDuration.startTimer()
  res.on('finish', () => {
    end({ method: req.method, route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched', status_code: res.statusCode })
  })
  next()
})
app.use(express.json())
app.use(express.urlencoded())
app.get('/metrics', async (_req, res) => {
  res.type(register.contentType).send(await register.metrics())
})
itemRoutes(app, { json: [apiKey, createLimit], form: [createLimit] })
await serve(app)
