// The OpenAPI 3 document, generated from the route schemas, and the interactive docs at /docs.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { DOCS_CONTENT_SECURITY_POLICY } from './security.js'

const OPENAPI_PATH = '/openapi.json'
const DOCS_TITLE = 'API documentation · Item store'

// swagger-ui's start script, in place of @fastify/swagger-ui's, which always loads (and shows) /docs/json.
// The site's bar goes before swagger-ui's root, outside what React redraws; it replaces swagger-ui's own top
// bar (BaseLayout), whose address box has no label. The document's address shows under the title.
const INITIALIZER = `window.onload = function () {
  var bar = document.createElement('nav')
  bar.className = 'item-store-bar'
  bar.setAttribute('aria-label', 'Site')
  ;[['/', 'Item store'], ['/', 'New item'], ['/catalogue/', 'Catalogue']].forEach(function (entry, i) {
    var link = document.createElement('a')
    link.href = entry[0]
    link.textContent = entry[1]
    if (i === 0) link.className = 'brand'
    bar.appendChild(link)
  })
  document.body.insertBefore(bar, document.getElementById('swagger-ui'))
  window.ui = SwaggerUIBundle({
    url: new URL(${JSON.stringify(OPENAPI_PATH)}, window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'BaseLayout',
    validatorUrl: null
  })
}
`

const BAR_CSS = `.item-store-bar { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; align-items: center; padding: 0.75rem 1.25rem;
  font-family: system-ui, sans-serif; font-size: 1rem; background: #ffffff; border-bottom: 1px solid #c4c7cc; }
.item-store-bar a { color: #1d4ed8; padding: 0.5rem 0; }
.item-store-bar a.brand { font-weight: 700; color: #1b1f24; text-decoration: none; margin-right: auto; }
.item-store-bar a:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
/* swagger-ui's own colours, darkened to WCAG AA contrast (4.5:1) for white text and for links. */
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1d5fa8; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #17734a; }
.swagger-ui .info .title small pre { background: #5b6270; }
.swagger-ui .info .title small.version-stamp pre { background: #4b6b02; }
.swagger-ui .info .url, .swagger-ui .info a { color: #1d4ed8; }
/* The Authorize button, shown because the document declares the bearer schemes (src/auth/access.ts). */
.swagger-ui .btn.authorize { color: #17734a; border-color: #17734a; }
.swagger-ui .btn.authorize svg { fill: #17734a; }
`

export default fp(
  async function docs(fastify) {
    await fastify.register(swagger, {
      // A query parameter with a default is optional to a client (validation fills it in), whatever `required` says.
      transform: ({ schema, url }) => {
        type Query = { properties?: Record<string, { default?: unknown }>; required?: string[] }
        // A route without a schema has none, whatever the types say.
        const query = (schema as { querystring?: Query } | undefined)?.querystring
        if (query?.required === undefined) return { schema, url }
        const required = query.required.filter((name) => query.properties?.[name]?.default === undefined)
        return { schema: { ...schema, querystring: { ...query, required } }, url }
      },
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
      theme: { title: DOCS_TITLE, css: [{ filename: 'item-store.css', content: BAR_CSS }] },
      // One name for the document: swagger-ui's own copies redirect to it, and the page loads it from there.
      uiHooks: {
        onRequest(request, reply, done) {
          const url = request.routeOptions.url
          if (url === '/docs/json' || url === '/docs/yaml') void reply.redirect(OPENAPI_PATH, 308)
          else if (url === '/docs/static/swagger-initializer.js') void reply.type('application/javascript; charset=utf-8').send(INITIALIZER)
          else done()
        },
      },
    })
    fastify.get(OPENAPI_PATH, { schema: { hide: true } }, () => fastify.swagger())
  },
  { name: 'docs' },
)
