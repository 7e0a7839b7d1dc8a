// The OpenAPI 3 document, generated from the route schemas, and the interactive docs at /docs.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { DOCS_CONTENT_SECURITY_POLICY } from './security.js'

const OPENAPI_PATH = '/openapi.json'

export default fp(
  async function docs(fastify) {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Item store',
          description:
            'Insert-only catalogue items with exact money. Validation errors answer 422 with one `detail` entry per bad field.',
          version: '1.0.0',
        },
        tags: [
          { name: 'items', description: 'The JSON API' },
          { name: 'form', description: 'The HTML form channel' },
          { name: 'pages', description: 'The catalogue for people: HTML pages for reading' },
          { name: 'health', description: 'Probes' },
          { name: 'metrics', description: 'Prometheus metrics (absent with METRICS=off)' },
          { name: 'sign-in', description: 'Editors sign in to use the form (with EDITORS_FILE)' },
        ],
        // Which routes need them depends on the configuration: src/auth/access.ts marks those routes.
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'One of the API_KEYS: creating items through the JSON API, when keys or editors are configured' },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN, when set' },
          },
        },
      },
    })
    await fastify.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CONTENT_SECURITY_POLICY,
      // One name for the document: swagger-ui's own copies redirect to it (the page loads it from there).
      uiHooks: {
        onRequest(request, reply, done) {
          const url = request.routeOptions.url
          if (url === '/docs/json' || url === '/docs/yaml') void reply.redirect(OPENAPI_PATH, 308)
          else done()
        },
      },
    })
    fastify.get(OPENAPI_PATH, { schema: { hide: true } }, () => fastify.swagger())
  },
  { name: 'docs' },
)
