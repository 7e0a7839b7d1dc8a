// The JSON API: create, read one, list. Request -> schema validation -> input.ts -> repository.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireContentType } from '../http/content-type.js'
import { centsToNumber } from '../money.js'
import { fromJson, trimName } from './input.js'
import { itemPath } from './item-path.js'
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
      preValidation: trimName,
      schema: {
        tags: ['items'],
        summary: 'Create an item from JSON',
        description: 'Insert-only: a name that is already present is refused with 409 and the stored item is kept.',
        body: ItemCreate,
        response: {
          201: Item,
          400: ErrorMessage,
          409: ErrorMessage,
          413: ErrorMessage,
          415: ErrorMessage,
          422: ValidationFailure,
          503: ErrorMessage,
        },
      },
    },
    async (request, reply) => {
      const item = await fastify.items.create(fromJson(request.body))
      return reply.code(201).header('location', itemPath(item.name)).send(toJson(item))
    },
  )

  fastify.get(
    '/items/:name/',
    {
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
      schema: {
        tags: ['items'],
        summary: 'List items in name order',
        description: 'Pages by name: pass the `next` of one page as `after` to get the following one.',
        querystring: ItemListQuery,
        response: { 200: ItemList, 422: ValidationFailure, 503: ErrorMessage },
      },
    },
    async (request) => {
      const page = await fastify.items.list({ limit: request.query.limit, after: request.query.after })
      return { items: page.items.map(toJson), next: page.next }
    },
  )
}

export default itemRoutes
