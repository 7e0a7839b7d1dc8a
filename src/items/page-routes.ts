// The catalogue for people: HTML pages for reading, on paths of their own (/catalogue/...), so the JSON
// API's paths and answers stay exactly as programs know them. Same repository, same rules.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { sendError, type ErrorPages } from '../http/errors.js'
import { htmlAnswer, sendHtml } from '../http/html-reply.js'
import { cataloguePage, itemNotFoundPage, itemPage } from '../views/catalogue-pages.js'
import { errorPage } from '../views/form-pages.js'
import { CATALOGUE_PATH } from './item-path.js'
import { nfc } from './names.js'
import { ItemParams, LIST_LIMIT_DEFAULT, NAME_MAX_LENGTH, NamePrefix } from './schemas.js'

const CatalogueQuery = Type.Object({
  q: Type.Optional(NamePrefix),
  after: Type.Optional(Type.String({ maxLength: 4 * NAME_MAX_LENGTH, description: 'The last name of the previous page' })),
})

const ItemPageQuery = Type.Object({
  result: Type.Optional(
    Type.Union([Type.Literal('created'), Type.Literal('unchanged')], {
      description: 'Set by the form’s redirect: the item was just stored, or was already stored as sent',
    }),
  ),
})

/** Query mistakes and database outages, as a page in the same look. */
const PAGE_ERRORS: ErrorPages = {
  invalid: (fieldErrors) => errorPage(422, fieldErrors.map((field) => field.msg).join('; '), 'Not shown'),
  failed: (statusCode, detail) => errorPage(statusCode, detail, 'Not shown'),
}

function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply, PAGE_ERRORS)
}

const pageRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    CATALOGUE_PATH,
    {
      errorHandler: pageErrorHandler,
      schema: {
        tags: ['pages'],
        summary: 'The catalogue page: items in name order, a page at a time, with a search by name prefix',
        querystring: CatalogueQuery,
        produces: ['text/html'],
        response: {
          200: htmlAnswer('A page of items, with links to the next and the first page'),
          422: htmlAnswer('A search text that breaks the name rules'),
          503: htmlAnswer('The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      const q = nfc(request.query.q ?? '')
      const after = request.query.after === undefined ? undefined : nfc(request.query.after)
      const page = await fastify.items.list({ limit: LIST_LIMIT_DEFAULT, after, prefix: q })
      return sendHtml(reply, 200, cataloguePage({ items: page.items, q, after, next: page.next }))
    },
  )

  fastify.get(
    `${CATALOGUE_PATH}:name/`,
    {
      errorHandler: pageErrorHandler,
      schema: {
        tags: ['pages'],
        summary: 'One item’s page, with a link to its JSON',
        params: ItemParams,
        querystring: ItemPageQuery,
        produces: ['text/html'],
        response: {
          200: htmlAnswer('The item'),
          404: htmlAnswer('No item has that name'),
          503: htmlAnswer('The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      const item = await fastify.items.findByName(request.params.name)
      if (item === null) return sendHtml(reply, 404, itemNotFoundPage(request.params.name))
      return sendHtml(reply, 200, itemPage(item, request.query.result))
    },
  )
}

export default pageRoutes
