// The JSON API: create, read one, list. Request -> schema validation -> input.ts -> repository.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireContentType } from '../http/content-type.js'
import { digitsOnly } from '../http/query.js'
import { centsToNumber } from '../money.js'
import { fromJson } from './input.js'
import { itemPath } from './item-path.js'
import { normalizeBodyName, normalizeListQuery, normalizeNameParam } from './names.js'
import type { ItemRecord } from './repository.js'
import { ErrorMessage, Item, ItemCreate, ItemList, ItemListQuery, ItemParams, ValidationFailure } from './schemas.js'

function toJson(item: ItemRecord): Item {
  return {
    name: item.name,
    price: centsToNumber(item.priceCents),
    description: item.description,
    tax: item.taxCents === null ? null : centsToNumber(item.taxCents),
  }
}

const itemRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/new/',
    {
      onRequest: requireContentType('application/json'),
      preValidation: normalizeBodyName,
      config: { limitCreates: true },
      schema: {
        tags: ['items'],
        summary: 'Create an item from JSON',
        description:
          'Insert-only: a name that is already present is refused with 409 and the stored item is kept. ' +
          'Sending an item identical to the stored one answers 200 and stores nothing new, so a lost answer can be retried.',
        body: ItemCreate,
        response: {
          200: Item,
          201: Item,
          400: ErrorMessage,
          409: ErrorMessage,
          413: ErrorMessage,
          415: ErrorMessage,
          422: ValidationFailure,
          429: { ...ErrorMessage, description: 'Over RATE_LIMIT_CREATES a minute from this address; Retry-After says in how many seconds to try again' },
          503: ErrorMessage,
          504: ErrorMessage,
        },
      },
    },
    async (request, reply) => {
      const { item, created } = await fastify.items.create(fromJson(request.body))
      return reply.code(created ? 201 : 200).header('location', itemPath(item.name)).send(toJson(item))
    },
  )

  fastify.get(
    '/items/:name/',
    {
      preValidation: normalizeNameParam,
      schema: {
        tags: ['items'],
        summary: 'Read one item',
        params: ItemParams,
        response: { 200: Item, 404: ErrorMessage, 503: ErrorMessage },
      },
    },
    async (request, reply) => {
      const item = await fastify.items.findByName(request.params.name)
      if (item === null) return reply.code(404).send({ detail: 'Item not found' })
      return toJson(item)
    },
  )

  fastify.get(
    '/items/',
    {
      preValidation: [normalizeListQuery, digitsOnly('limit')],
      schema: {
        tags: ['items'],
        summary: 'List items in name order',
        description:
          'Pages by name: pass the `next` of one page as `after` to get the following one (with the same `prefix`). ' +
          '`prefix` keeps only the names that start with it.',
        querystring: ItemListQuery,
        response: { 200: ItemList, 422: ValidationFailure, 503: ErrorMessage },
      },
    },
    async (request) => {
      const { limit, after, prefix } = request.query
      const page = await fastify.items.list({ limit, after, prefix })
      return { items: page.items.map(toJson), next: page.next }
    },
  )
}

export default itemRoutes
