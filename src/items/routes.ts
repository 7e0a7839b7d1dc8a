// The JSON API: create, read one, list. Request -> schema validation -> input.ts -> repository.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { fixedAnswer, IMMUTABLE, REVALIDATE, sendFixed } from '../http/conditional.js'
import { requireContentType } from '../http/content-type.js'
import { digitsOnly } from '../http/query.js'
import { centsToNumber } from '../money.js'
import { DuplicateItemError } from './errors.js'
import { cursorOf, positionOf } from './find.js'
import { findRequest } from './find-query.js'
import { fromJson } from './input.js'
import { itemPath } from './item-path.js'
import { normalizeBodyName, normalizeListQuery } from './names.js'
import { BODY_LIMIT_TEXT } from '../http/body-limit.js'
import { described, ErrorMessage, ValidationFailure } from '../http/schemas.js'
import { ItemCreate, ItemJson, ItemList, ItemListQuery, ItemParams, NoQuery } from './schemas.js'
import type { Item, ItemField } from './stored-item.js'

// The response schema names every field of the item: this fails to compile until it does.
type Compiles<T extends true> = T
export type ResponseCarriesEveryField = Compiles<[Exclude<ItemField, keyof ItemJson>] extends [never] ? true : false>

const JSON_TYPE = 'application/json; charset=utf-8'

/** What reply.serialize gives (a string from the schema's serializer; typed wider) as bytes fixedAnswer takes. */
const serialized = (payload: string | Buffer | ArrayBuffer): string | Uint8Array => (payload instanceof ArrayBuffer ? new Uint8Array(payload) : payload)

/** The item as the API answers it, money as the JSON number of the same value (12.34). */
export function toJson(item: Item): ItemJson {
  return { ...item, price: centsToNumber(item.price), tax: item.tax === null ? null : centsToNumber(item.tax) }
}

const itemRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/items/new/',
    {
      onRequest: [fastify.requireApiKey, requireContentType('application/json')],
      preValidation: normalizeBodyName,
      config: { limitCreates: true },
      schema: {
        tags: ['items'],
        summary: 'Create an item from JSON',
        description:
          'Insert-only: a name that is already present is refused with 409 and the stored item is kept. ' +
          'Sending an item identical to the stored one answers 200 and stores nothing new, so a lost answer can be retried.',
        querystring: NoQuery,
        body: ItemCreate,
        ...(fastify.guarded.writes && { security: [{ apiKey: [] }] }),
        response: {
          200: described(ItemJson, 'That identical item was already stored: nothing new was written (a safe retry); Location names it'),
          201: described(ItemJson, 'Stored: the item as stored; Location is its path'),
          400: described(ErrorMessage, 'The body is not valid JSON, not UTF-8, empty, or has a __proto__ key'),
          401: described(ErrorMessage, 'Writes are closed (docs/security.md) and no or a wrong API key was sent; WWW-Authenticate: Bearer'),
          409: described(
            ErrorMessage,
            'Another item is stored under that name, or under a name that reads the same (look-alike characters, other spaces); it is kept as it was, and Location is its path',
          ),
          413: described(ErrorMessage, `The body is larger than ${BODY_LIMIT_TEXT}`),
          415: described(ErrorMessage, 'The Content-Type is not application/json, or the body is compressed'),
          422: described(ValidationFailure, 'A field breaks a rule: one entry per bad field; nothing was stored'),
          429: described(ErrorMessage, 'Over RATE_LIMIT_CREATES a minute from this address; Retry-After says in how many seconds to try again'),
          503: described(ErrorMessage, 'The database is unavailable; the item was not stored and will not be'),
          504: described(ErrorMessage, 'The database did not confirm the write in time: the outcome is unknown; read the item or send it again'),
        },
      },
    },
    async (request, reply) => {
      const { item, created } = await fastify.items.create(fromJson(request.body), request.createdBy).catch((err: unknown) => {
        // The 409 says where the stored item is, as a 201 would.
        if (err instanceof DuplicateItemError) void reply.header('location', itemPath(err.storedName))
        throw err
      })
      return reply.code(created ? 201 : 200).header('location', itemPath(item.name)).send(toJson(item))
    },
  )

  fastify.get(
    '/items/:name/',
    {
      schema: {
        tags: ['items'],
        summary: 'Read one item',
        params: ItemParams,
        querystring: NoQuery,
        description:
          'A stored item never changes: the answer has a strong ETag and `Cache-Control: ' + IMMUTABLE + '`, and a request ' +
          'whose If-None-Match names that ETag is answered 304. A 404 is `' + REVALIDATE + '`: the name may be created any moment.',
        response: {
          200: described(ItemJson, 'The item'),
          304: { description: 'The client’s copy (If-None-Match) is this item: nothing is sent again' },
          404: described(ErrorMessage, 'No item has that name'),
          503: described(ErrorMessage, 'The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      // The route's own serializer, so the kept bytes are those the schema would send.
      const answer = await fastify.readCache.answer(request.params.name, 'json', (item) => fixedAnswer(serialized(reply.serialize(toJson(item))), JSON_TYPE))
      if (answer === null) return reply.code(404).header('cache-control', REVALIDATE).send({ detail: 'Item not found' })
      return sendFixed(request, reply, answer, IMMUTABLE)
    },
  )

  fastify.get(
    '/items/',
    {
      preValidation: [normalizeListQuery, digitsOnly('limit')],
      schema: {
        tags: ['items'],
        summary: 'List and find items',
        description:
          'Pages with keyset cursors: pass the `next` of one page as `after` (with the same other parameters) to get the following one; ' +
          'paging while items are created visits every item that existed at the start exactly once. `q` finds items whose name or ' +
          'description has every word (case and accents ignored, the last word also as the start of a word), `prefix` names that start ' +
          'with a text, `min_price` and `max_price` a price range; `sort` is name (people\'s order), price or -price. An unknown ' +
          'parameter is answered 422, naming it.',
        querystring: ItemListQuery,
        response: {
          200: described(ItemList, 'A page of items in the order asked for; `next` is null on the last page'),
          422: described(ValidationFailure, 'An unknown parameter, or a bad value of one: each named'),
          503: described(ErrorMessage, 'The database is unavailable'),
        },
      },
    },
    async (request, reply) => {
      const { sort, filter, after } = findRequest(request.query)
      void reply.header('cache-control', REVALIDATE)
      const page = await fastify.items.list({ limit: request.query.limit, sort, filter, after })
      const last = page.items.at(-1)
      return { items: page.items.map(toJson), next: page.more && last !== undefined ? cursorOf(sort, positionOf(last)) : null }
    },
  )
}

export default itemRoutes
