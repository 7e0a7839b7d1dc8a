// The catalogue for people: HTML pages for reading, on paths of their own (/catalogue/...), so the JSON
// API's paths and answers stay exactly as programs know them. Same repository, same rules.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { fixedAnswer, IMMUTABLE, PERSONAL, REVALIDATE, sendFixed } from '../http/conditional.js'
import { sendError, type ErrorPages, type FieldError } from '../http/errors.js'
import { HTML_TYPE, htmlAnswer, sendHtml } from '../http/html-reply.js'
import { carriesNotice, takeNotice, useNotices } from '../http/notice-cookie.js'
import type { Account } from '../views/account.js'
import { cataloguePage, itemNotFoundPage, itemPage, type CatalogueSearch, type SearchField, type SearchProblems } from '../views/catalogue-pages.js'
import { errorPage } from '../views/form-pages.js'
import { cursorOf, positionOf } from './find.js'
import { findRequest } from './find-query.js'
import { CATALOGUE_PATH, itemPagePath } from './item-path.js'
import { normalizeListQuery } from './names.js'
import { Cursor, FindQueryFields, ItemParams, LIST_LIMIT_DEFAULT, NoQuery } from './schemas.js'

const CatalogueQuery = Type.Object(
  {
    ...FindQueryFields,
    after: Type.Optional(Cursor('Where the page starts: the "Next page" link\'s')),
    before: Type.Optional(Cursor('Where the page ends: the "Previous page" link\'s')),
  },
  { additionalProperties: false },
)

/** The search as typed, from the query string itself (validation has turned prices into hundredths). */
function typedSearch(request: FastifyRequest): CatalogueSearch {
  const query = request.url.indexOf('?')
  const params = new URLSearchParams(query < 0 ? '' : request.url.slice(query + 1))
  const typed = (field: keyof CatalogueSearch): string | undefined => params.get(field)?.trim() ?? undefined
  return { q: typed('q'), prefix: typed('prefix'), min_price: typed('min_price'), max_price: typed('max_price'), sort: typed('sort') }
}

// The controls of the search form, as their problems are said beside them ("q must ..." is "Search text must ...").
const LABELS: Partial<Record<SearchField, string>> = { q: 'Search text', min_price: 'The lowest price', max_price: 'The highest price', sort: 'The order' }

/** The catalogue again, with what is wrong with the search beside each control (422). */
function invalidSearch(request: FastifyRequest, fieldErrors: FieldError[], account: Account): string {
  const problems: SearchProblems = {}
  const general: string[] = []
  for (const { loc, msg } of fieldErrors) {
    const field = loc[1] as SearchField | undefined
    const label = field === undefined ? undefined : LABELS[field]
    if (field !== undefined && label !== undefined && problems[field] === undefined) problems[field] = `${label}${msg.startsWith(`${field} `) ? msg.slice(field.length) : `: ${msg}`}`
    else general.push(msg.charAt(0).toUpperCase() + msg.slice(1))
  }
  return cataloguePage({ items: [], search: typedSearch(request), problems, general, next: null }, account)
}

function catalogueErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply, {
    invalid: (fieldErrors) => invalidSearch(request, fieldErrors, request.server.account(request, reply)),
    failed: (statusCode, detail) => errorPage(statusCode, detail, 'Not shown'),
  })
}

/** A 404 page: not kept anywhere, since the item may be created any moment (nor shared, with an editor's token). */
function notFound(reply: FastifyReply, name: string, account: Account): FastifyReply {
  return sendHtml(reply.header('cache-control', typeof account === 'object' ? PERSONAL : REVALIDATE), 404, itemNotFoundPage(name, account))
}

const pageRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  await useNotices(fastify)
  /** Query mistakes and database outages, as a page in the same look. */
  function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    const account = fastify.account(request, reply)
    const pages: ErrorPages = {
      invalid: (fieldErrors) => errorPage(422, fieldErrors.map((field) => field.msg).join('; '), 'Not shown', account),
      failed: (statusCode, detail) => errorPage(statusCode, detail, 'Not shown', account),
    }
    sendError(error, request, reply, pages)
  }
  fastify.get(
    CATALOGUE_PATH,
    {
      errorHandler: catalogueErrorHandler,
      preValidation: normalizeListQuery,
      schema: {
        tags: ['pages'],
        summary: 'The catalogue page: items a page at a time, found by words, price and the start of the name, in people\'s name order or by price',
        querystring: CatalogueQuery,
        produces: ['text/html'],
        response: {
          200: htmlAnswer('A page of items, where it is among those found ("Items 21–40 of 57"), and links to the first, previous and next page'),
          422: htmlAnswer('The catalogue page with what is wrong with the search beside each control, or an unknown parameter named'),
          503: htmlAnswer('The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', REVALIDATE)
      const account = fastify.account(request, reply)
      const { sort, filter, after, before } = findRequest(request.query)
      const page = await fastify.items.list({ limit: LIST_LIMIT_DEFAULT, sort, filter, after, before })
      const first = page.items[0]
      const last = page.items.at(-1)
      const [earlier, total] = await Promise.all([
        first === undefined ? 0 : fastify.items.countBefore(sort, filter, positionOf(first)),
        fastify.items.count(filter),
      ])
      return sendHtml(
        reply,
        200,
        cataloguePage(
        {
          items: page.items,
          search: typedSearch(request),
          after: request.query.after,
          before: after === undefined ? request.query.before : undefined,
          next: page.more && last !== undefined ? cursorOf(sort, positionOf(last)) : null,
          previous: earlier > 0 && first !== undefined ? cursorOf(sort, positionOf(first)) : null,
          start: earlier + 1,
          total,
        },
        account,
      ),
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
        querystring: NoQuery,
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
      // Anyone not signed in sees the same page (the cached bytes); a signed-in editor's carries their token.
      const account = fastify.account(request, reply)
      if (carriesNotice(request) || typeof account === 'object') {
        const item = await fastify.readCache.item(name)
        if (item === null) return notFound(reply, name, account)
        // Said once, after the form's redirect (src/http/notice-cookie.ts); never stored, so never shown again.
        const notice = takeNotice(request, reply, itemPagePath(item.name))
        void reply.header('cache-control', PERSONAL)
        return sendHtml(reply, 200, itemPage(item, notice === 'created' || notice === 'unchanged' ? notice : undefined, account))
      }
      const answer = await fastify.readCache.answer(name, 'page', (item) => fixedAnswer(itemPage(item, undefined, account), HTML_TYPE))
      if (answer === null) return notFound(reply, name, account)
      return sendFixed(request, reply, answer, IMMUTABLE)
    },
  )
}

export default pageRoutes
