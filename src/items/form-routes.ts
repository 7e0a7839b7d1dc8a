// The HTML form channel: the same rules as the JSON API, answered with HTML pages.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BODY_LIMIT_TEXT } from '../http/body-limit.js'
import { requireContentType } from '../http/content-type.js'
import { classifyError } from '../http/errors.js'
import { conflictPage, createdPage, errorPage, invalidPage, type FormValues } from '../views/item-pages.js'
import { fromForm, trimName } from './input.js'
import { DuplicateItemError } from './errors.js'
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

// Taken before validation, which replaces the typed amounts by their hundredths.
const typedBeforeValidation = new WeakMap<FastifyRequest, FormValues>()

async function keepTypedValues(request: FastifyRequest): Promise<void> {
  typedBeforeValidation.set(request, typedValues(request.body))
}

function htmlPage(description: string) {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } }
}

const formRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/new/form/',
    {
      onRequest: requireContentType('application/x-www-form-urlencoded'),
      preValidation: [trimName, keepTypedValues],
      schema: {
        tags: ['form'],
        summary: 'Create an item from the HTML form',
        description: 'Answers HTML: 201 the stored item, 409 already present, 422 the form with each problem.',
        consumes: ['application/x-www-form-urlencoded'],
        body: ItemForm,
        produces: ['text/html'],
        // Documentation only: the pages are strings, which Fastify sends as they are.
        response: {
          201: htmlPage('The stored item'),
          409: htmlPage('Already present: the form again, with what was typed'),
          413: htmlPage(`The body is over ${BODY_LIMIT_TEXT}`),
          415: htmlPage('Not application/x-www-form-urlencoded'),
          422: htmlPage('The form again, with what was typed and each problem beside its field'),
          503: htmlPage('The database is unavailable'),
        },
      },
      errorHandler(error, request, reply) {
        const outcome = classifyError(error)
        if ('fieldErrors' in outcome) {
          html(reply, 422, invalidPage(typedBeforeValidation.get(request) ?? {}, outcome.fieldErrors))
        } else if (error instanceof DuplicateItemError) {
          html(reply, 409, conflictPage(error.itemName, typedBeforeValidation.get(request) ?? {}))
        } else {
          if (outcome.log) request.log.error({ err: error }, 'form request failed')
          html(reply, outcome.statusCode, errorPage(outcome.statusCode, outcome.detail))
        }
      },
    },
    async (request, reply) => {
      const item = await fastify.items.create(fromForm(request.body))
      return html(reply, 201, createdPage(item))
    },
  )
}

export default formRoutes
