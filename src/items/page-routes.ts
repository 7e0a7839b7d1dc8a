// The catalogue for people: HTML pages for reading, on paths of their own (/catalogue/...), so the JSON
// API's paths and answers stay exactly as programs know them. Same repository, same rules.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { fixedAnswer, IMMUTABLE, PERSONAL, REVALIDATE, sendFixed } from '../http/conditional.js'
import { sendError, type ErrorPages } from '../http/errors.js'
import { HTML_TYPE, htmlAnswer, sendHtml } from '../http/html-reply.js'
import { carriesNotice, takeNotice, useNotices } from '../http/notice-cookie.js'
import { cataloguePage, itemNotFoundPage, itemPage } from '../views/catalogue-pages.js'
import { errorPage } from '../views/form-pages.js'
import { CATALOGUE_PATH, itemPagePath } from './item-path.js'
import { nfc } from './names.js'
import { ItemParams, LIST_LIMIT_DEFAULT, NAME_MAX_LENGTH } from './schemas.js'

const Cursor = (description: string) => Type.String({ maxLength: 4 * NAME_MAX_LENGTH, description })

const CatalogueQuery = Type.Object({
  // Checked by the route, which says what is wrong beside the search box (no bound here but the URL's own).
  q: Type.Optional(Type.String({ description: `The start of the names to list; trimmed; at most ${NAME_MAX_LENGTH} characters` })),
  after: Type.Optional(Cursor('The last name of the previous page (the "Next page" link)')),
  before: Type.Optional(Cursor('The first name of the following page (the "Previous page" link)')),
})

/** What is wrong with a search text, said as it is beside the box; undefined when nothing is. */
function searchProblem(q: string): string | undefined {
  if (Array.from(q).length > NAME_MAX_LENGTH) return `Search text must be at most ${NAME_MAX_LENGTH} characters`
  if (/\p{Cc}/u.test(q)) return 'Search text must not contain control characters'
  return undefined
}

/** Query mistakes and database outages, as a page in the same look. */
const PAGE_ERRORS: ErrorPages = {
  invalid: (fieldErrors) => errorPage(422, fieldErrors.map((field) => field.msg).join('; '), 'Not shown'),
  failed: (statusCode, detail) => errorPage(statusCode, detail, 'Not shown'),
}

function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply, PAGE_ERRORS)
}

/** A 404 page: not kept anywhere, since the item may be created any moment. */
function notFound(reply: FastifyReply, name: string): FastifyReply {
  return sendHtml(reply.header('cache-control', REVALIDATE), 404, itemNotFoundPage(name))
}

const pageRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  await useNotices(fastify)
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
          200: htmlAnswer('A page of items, where it is in the list ("Items 21–40"), and links to the first, previous and next page'),
          422: htmlAnswer('The catalogue page with what is wrong with the search text beside the search box'),
          503: htmlAnswer('The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', REVALIDATE)
      const q = nfc((request.query.q ?? '').trim())
      const problem = searchProblem(q)
      if (problem !== undefined) return sendHtml(reply, 422, cataloguePage({ items: [], q, problem, after: undefined, next: null }))
      const after = request.query.after === undefined ? undefined : nfc(request.query.after)
      const before = after !== undefined || request.query.before === undefined ? undefined : nfc(request.query.before)
      const page = await fastify.items.list({ limit: LIST_LIMIT_DEFAULT, after, before, prefix: q })
      const first = page.items[0]
      const earlier = first === undefined ? 0 : await fastify.items.countBefore(first.name, q)
      return sendHtml(
        reply,
        200,
        cataloguePage({ items: page.items, q, after, before, next: page.next, previous: earlier > 0 && first !== undefined ? first.name : null, start: earlier + 1 }),
      )
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
        produces: ['text/html'],
        description:
          'The same for everyone who is not signed in and has no notice waiting: then, like the item’s JSON, a strong ETag, ' +
          '`Cache-Control: ' + IMMUTABLE + '` and 304 to a matching If-None-Match; otherwise `' + PERSONAL + '`. Vary: Cookie.',
        response: {
          200: htmlAnswer('The item'),
          304: { description: 'The client’s copy (If-None-Match) is this page: nothing is sent again' },
          404: htmlAnswer('No item has that name'),
          503: htmlAnswer('The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params
      // The page differs for a signed-in editor and after the form's redirect, both told by cookies.
      void reply.header('vary', 'cookie')
      if (carriesNotice(request) || fastify.accountSlots.personal(request)) {
        const item = await fastify.readCache.item(name)
        if (item === null) return notFound(reply, name)
        // Said once, after the form's redirect (src/http/notice-cookie.ts); never stored, so never shown again.
        const notice = takeNotice(request, reply, itemPagePath(item.name))
        void reply.header('cache-control', PERSONAL)
        return sendHtml(reply, 200, itemPage(item, notice === 'created' || notice === 'unchanged' ? notice : undefined))
      }
      const answer = await fastify.readCache.answer(name, 'page', (item) => fixedAnswer(fastify.accountSlots.fillShared(itemPage(item, undefined)), HTML_TYPE))
      if (answer === null) return notFound(reply, name)
      return sendFixed(request, reply, answer, IMMUTABLE)
    },
  )
}

export default pageRoutes
