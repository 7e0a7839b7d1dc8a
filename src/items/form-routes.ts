// The HTML form channel: the same rules as the JSON API, answered with HTML pages.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireContentType } from '../http/content-type.js'
import { classifyError, FieldErrors } from '../http/errors.js'
import { conflictPage, createdPage, errorPage, invalidPage, type FormValues } from '../views/item-pages.js'
import { DuplicateItemError } from './errors.js'
import { fromForm } from './input.js'
import { normalizeBodyName } from './names.js'
import { ItemForm } from './schemas.js'

function html(reply: FastifyReply, statusCode: number, body: string): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(body)
}

/** What the person typed, kept as text so the form can show it again. */
function typedValues(body: unknown): FormValues {
  const values: FormValues = {}
  if (typeof body !== 'object' || body === null) return values
  for (const key of ['name', 'price', 'description', 'tax'] as const) {
    const value = (body as Record<string, unknown>)[key]
    if (typeof value === 'string') values[key] = value
  }
  return values
}

const FORM_FIELDS = ['name', 'price', 'description', 'tax'] as const

/**
 * preValidation hook: no field of the form repeats, so a repeated one is named as such; and browsers send
 * the textarea's line breaks as CRLF, which would count twice against the length its maxlength allowed.
 */
async function checkFormFields(request: FastifyRequest): Promise<void> {
  const body = request.body
  if (typeof body !== 'object' || body === null) return
  const fields = body as Record<string, unknown>
  const repeated = FORM_FIELDS.filter((field) => Array.isArray(fields[field]))
  if (repeated.length > 0) {
    throw new FieldErrors(
      repeated.map((field) => ({ loc: ['body', field], msg: `${field} was sent more than once; send each field once`, type: 'repeated_field' })),
    )
  }
  if (typeof fields.description === 'string') fields.description = fields.description.replace(/\r\n?/g, '\n')
}

function htmlPage(description: string) {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } }
}

const formRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/new/form/',
    {
      onRequest: requireContentType('application/x-www-form-urlencoded'),
      preValidation: [normalizeBodyName, checkFormFields],
      config: { limitCreates: true },
      schema: {
        tags: ['form'],
        summary: 'Create an item from the HTML form',
        description:
          'Answers HTML: 201 the stored item, 200 the same item was already stored (a safe retry), 409 another item ' +
          'is present under that name, 422 the form with each problem. Line breaks in the description are stored as LF.',
        consumes: ['application/x-www-form-urlencoded'],
        body: ItemForm,
        produces: ['text/html'],
        // Documentation only: the pages are strings, which Fastify sends as they are.
        response: {
          200: htmlPage('An identical item was already stored; nothing new was written'),
          201: htmlPage('The stored item'),
          409: htmlPage('Already present: the form again, with what was typed'),
          413: htmlPage('The body is over 64 KiB'),
          415: htmlPage('Not application/x-www-form-urlencoded'),
          422: htmlPage('The form again, with what was typed and each problem beside its field'),
          429: htmlPage('Over RATE_LIMIT_CREATES a minute from this address: says when to try again (also in Retry-After)'),
          503: htmlPage('The database is unavailable; nothing was stored'),
          504: htmlPage('The database did not confirm the write in time: the outcome is unknown'),
        },
      },
      errorHandler(error, request, reply) {
        const outcome = classifyError(error)
        if ('fieldErrors' in outcome) {
          html(reply, 422, invalidPage(typedValues(request.body), outcome.fieldErrors))
        } else if (error instanceof DuplicateItemError) {
          html(reply, 409, conflictPage(error.itemName, typedValues(request.body)))
        } else {
          if (!outcome.expected) request.log.error({ err: error }, 'form request failed')
          html(reply, outcome.statusCode, errorPage(outcome.statusCode, outcome.detail))
        }
      },
    },
    async (request, reply) => {
      const { item, created } = await fastify.items.create(fromForm(request.body))
      return html(reply, created ? 201 : 200, createdPage(item, created))
    },
  )
}

export default formRoutes
