// The HTML form channel: the same rules as the JSON API. A stored item is answered with a redirect to its
// page (Post/Redirect/Get, so a reload does not send the form again); problems with HTML pages.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fresh from 'fresh'
import { BODY_LIMIT_TEXT } from '../http/body-limit.js'
import { strongEtag } from '../http/conditional.js'
import { requireContentType } from '../http/content-type.js'
import { FieldErrors, sendError } from '../http/errors.js'
import { htmlAnswer, sendHtml } from '../http/html-reply.js'
import { acceptMultipartText } from './multipart.js'
import { setNotice, useNotices } from '../http/notice-cookie.js'
import type { Amount } from '../money.js'
import { conflictPage, entryPage, errorPage, invalidPage, type FormValues } from '../views/form-pages.js'
import { DuplicateItemError } from './errors.js'
import { fromForm } from './input.js'
import { itemPagePath } from './item-path.js'
import { normalizeBodyName } from './names.js'
import { ItemForm, NoQuery } from './schemas.js'

const FORM_FIELDS = Object.keys(ItemForm.properties) as (keyof ItemForm)[]

/** What the person typed, to show the form again: text as sent, an amount that passed validation as its text. */
function typedValues(body: unknown): FormValues {
  const values: FormValues = {}
  if (typeof body !== 'object' || body === null) return values
  for (const key of FORM_FIELDS) {
    const value = (body as Record<string, unknown>)[key]
    if (typeof value === 'string') values[key] = value
    else if (typeof value === 'object' && value !== null && 'text' in value) values[key] = (value as Amount).text
  }
  return values
}

/**
 * preValidation hook: no field of the form repeats, so a repeated one is named as such; and browsers send
 * the textarea's line breaks as CRLF, which would count twice against the length its maxlength allowed.
 */
function checkFormFields(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const body = request.body
  if (typeof body !== 'object' || body === null) {
    done()
    return
  }
  const fields = body as Record<string, unknown>
  const repeated = FORM_FIELDS.filter((field) => Array.isArray(fields[field]))
  if (repeated.length > 0) {
    done(
      new FieldErrors(
        repeated.map((field) => ({ loc: ['body', field], msg: `${field} was sent more than once; send each field once`, type: 'repeated_field' })),
      ),
    )
    return
  }
  if (typeof fields.description === 'string') fields.description = fields.description.replace(/\r\n?/g, '\n')
  done()
}

// GET /: the entry form, rendered once at start, with a static file's validators, so browsers revalidate it
// (fresh: If-None-Match, weak or listed, and If-Modified-Since, as Express and `send` judge them).
const ENTRY_PAGE = Buffer.from(entryPage())
const ENTRY_HEADERS = {
  'cache-control': 'public, max-age=0',
  etag: strongEtag(ENTRY_PAGE),
  'last-modified': new Date().toUTCString(),
}

/** An unknown query parameter on the form's pages: a page saying which (422), like every other page. */
function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply, {
    invalid: (fieldErrors) => errorPage(422, fieldErrors.map((field) => field.msg).join('; '), 'Not shown'),
    failed: (statusCode, detail) => errorPage(statusCode, detail, 'Not shown'),
  })
}

/** The create route's schema: the body's validation and, for /docs, its answers. */
const CREATE_FROM_FORM_SCHEMA = {
  tags: ['form'],
  summary: 'Create an item from the HTML form',
  description:
    'Stored, or the same item already stored (a safe retry): 303 to the item’s page. Otherwise HTML: 409 another ' +
    'item is present under that name, 422 the form with each problem. Line breaks in the description are stored ' +
    'as LF. multipart/form-data takes text fields only.',
  consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
  querystring: NoQuery,
  body: ItemForm,
  produces: ['text/html'],
  // Documentation only: the pages are strings, which Fastify sends as they are.
  response: {
    303: {
      description:
        'Stored, or that identical item was already stored and nothing new was written: Location is the item’s page ' +
        '(/catalogue/<name>/), which says which once (a cookie set here, cleared there). With writes closed and nobody ' +
        'signed in: to /signin?next=/',
    },
    403: htmlAnswer('Writes are closed and the form’s CSRF token is missing or belongs to another session: nothing was stored; reload the form'),
    409: htmlAnswer('Already present: the form again, with what was typed'),
    413: htmlAnswer(`The body is over ${BODY_LIMIT_TEXT}`),
    415: htmlAnswer('Neither application/x-www-form-urlencoded nor multipart/form-data'),
    422: htmlAnswer('The form again, with what was typed and each problem beside its field'),
    429: htmlAnswer('Over RATE_LIMIT_CREATES a minute from this address: says when to try again (also in Retry-After)'),
    503: htmlAnswer('The database is unavailable; nothing was stored'),
    504: htmlAnswer('The database did not confirm the write in time: the outcome is unknown'),
  },
}

const formRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  await acceptMultipartText(fastify)
  await useNotices(fastify)

  fastify.get(
    '/',
    {
      errorHandler: pageErrorHandler,
      onRequest: fastify.requireEditor,
      schema: {
        tags: ['form'],
        summary: 'The entry form for a new item',
        querystring: NoQuery,
        produces: ['text/html'],
        response: {
          200: htmlAnswer('The form; it posts to /items/new/form/'),
          303: { description: 'Writes are closed and nobody is signed in: to /signin?next=/' },
          304: { description: 'The browser’s copy is current (If-None-Match or If-Modified-Since)' },
        },
      },
    },
    (request, reply) => {
      // A signed-in editor's form carries their CSRF token: rendered for them, never cached.
      const account = fastify.account(request, reply)
      if (typeof account === 'object') return sendHtml(reply, 200, entryPage(account))
      void reply.headers(ENTRY_HEADERS)
      if (fresh(request.headers, ENTRY_HEADERS)) return reply.code(304).send()
      return reply.code(200).type('text/html; charset=utf-8').send(ENTRY_PAGE)
    },
  )

  fastify.post(
    '/items/new/form/',
    {
      onRequest: [fastify.requireEditor, requireContentType('application/x-www-form-urlencoded', 'multipart/form-data')],
      preValidation: [fastify.checkCsrf, normalizeBodyName, checkFormFields],
      config: { limitCreates: true },
      schema: CREATE_FROM_FORM_SCHEMA,
      errorHandler(error, request, reply) {
        // The form again with what was typed, for a problem the person can fix; else what happened.
        const typed = typedValues(request.body)
        const account = fastify.account(request, reply)
        sendError(error, request, reply, {
          invalid: (fieldErrors) => invalidPage(typed, fieldErrors, account),
          failed: (statusCode, detail) =>
            error instanceof DuplicateItemError ? conflictPage(error.itemName, typed, account, error.storedName) : errorPage(statusCode, detail, undefined, account),
        })
      },
    },
    async (request, reply) => {
      const { item, created } = await fastify.items.create(fromForm(request.body), request.createdBy)
      const path = itemPagePath(item.name)
      setNotice(reply, path, created ? 'created' : 'unchanged')
      return reply.redirect(path, 303)
    },
  )

  // The address bar still shows this path after a 409 or 422; Enter there goes back to an empty form.
  fastify.get(
    '/items/new/form/',
    {
      errorHandler: pageErrorHandler,
      schema: {
        tags: ['form'],
        summary: 'The form’s address, asked for by a browser: a redirect to the form',
        querystring: NoQuery,
        response: { 303: { description: 'Location: /, the form' } },
      },
    },
    async (_request, reply) => reply.redirect('/', 303),
  )
}

export default formRoutes
