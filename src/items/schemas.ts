// The item's schemas, declared once: they drive request validation (Ajv), the handlers' TypeScript
// types (TypeBox type provider), response serialization and the OpenAPI document.
import { Type, type Static } from 'typebox'
import { MAX_AMOUNT_TEXT, moneyField } from '../money.js'
import { SORT_ORDERS } from './find.js'

export const NAME_MAX_LENGTH = 200
export const DESCRIPTION_MAX_LENGTH = 2000
export const LIST_LIMIT_DEFAULT = 20
export const LIST_LIMIT_MAX = 100

// Money fields check amounts and reach the handlers as Amounts: hundredths and the text sent (moneyField).
const moneyRules = `at least 0, at most ${MAX_AMOUNT_TEXT}, at most 2 decimal places`

const Name = Type.String({
  minLength: 1,
  maxLength: NAME_MAX_LENGTH,
  // No control characters (C0, DEL, C1); surrounding whitespace is trimmed before validation.
  pattern: '^[^\\p{Cc}]*$',
  // "." and ".." could be stored but never read back: URL parsers resolve /items/../ to / (even encoded).
  not: { enum: ['.', '..'] },
  // Invisible characters and bidirectional controls (src/items/names.ts).
  'x-name': {},
  description: `Unique item name, the primary key; trimmed and normalized to Unicode NFC, then 1 to ${NAME_MAX_LENGTH} characters, no control characters, no characters that are not drawn (Unicode Default_Ignorable_Code_Point, U+2800), no bidirectional controls, not "." or ".."`,
  examples: ['Item1'],
})

const Description = Type.String({ maxLength: DESCRIPTION_MAX_LENGTH })

export const ItemCreate = Type.Object(
  {
    name: Name,
    price: moneyField(Type.Union([Type.Number(), Type.String()]), {}, {
      description: `Price as a JSON number or a numeric string; ${moneyRules}`,
      examples: [12.34],
    }),
    description: Type.Optional(
      Type.Union([Description, Type.Null()], { description: `At most ${DESCRIPTION_MAX_LENGTH} characters` }),
    ),
    tax: Type.Optional(
      moneyField(Type.Union([Type.Number(), Type.String(), Type.Null()]), { allowNull: true }, {
        description: `Tax as a JSON number, a numeric string or null; ${moneyRules}`,
      }),
    ),
  },
  { description: 'A new item. Unknown fields are ignored and never stored.' },
)
export type ItemCreate = Static<typeof ItemCreate>

// The HTML form sends text only; blank optional fields take the original demo's defaults.
export const ItemForm = Type.Object({
  name: Name,
  price: moneyField(Type.String(), {}, { description: `Price; ${moneyRules}` }),
  description: Type.Optional(Type.String({ maxLength: DESCRIPTION_MAX_LENGTH, description: 'Blank is stored as ""' })),
  tax: Type.Optional(moneyField(Type.String(), { allowBlank: true }, { description: `Tax; blank is stored as 0; ${moneyRules}` })),
})
export type ItemForm = Static<typeof ItemForm>

/** The item as the JSON API answers it. */
export const ItemJson = Type.Object(
  {
    name: Type.String(),
    price: Type.Number({ description: 'Exact stored value, e.g. 12.34' }),
    description: Type.Union([Type.String(), Type.Null()]),
    tax: Type.Union([Type.Number(), Type.Null()]),
  },
  { examples: [{ name: 'Item1', price: 12.34, description: 'Rusty old bucket', tax: null }] },
)
export type ItemJson = Static<typeof ItemJson>

export const ItemParams = Type.Object({
  name: Type.String({ description: 'The item name, URL-encoded' }),
})

/** A route that takes no query parameters: an unknown one is answered 422, naming it. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

/** The start of a name, for searches: the name rules that make sense for a part of one. */
export const NamePrefix = Type.String({
  maxLength: NAME_MAX_LENGTH,
  pattern: '^[^\\p{Cc}]*$',
  description: `Only names that start with this text (normalized to NFC; case and accents count); at most ${NAME_MAX_LENGTH} characters, no control characters. Empty lists everything.`,
  examples: ['Rusty'],
})

/** Far above any name's length: a bound on query size, not a name rule (a price cursor holds a name). */
const CURSOR_MAX_LENGTH = 2000

/** A page's place in the order: `next` of the page before. */
export const Cursor = (description: string) => Type.String({ maxLength: CURSOR_MAX_LENGTH, description })

const priceBound = (description: string) =>
  Type.Optional(moneyField(Type.String(), { allowBlank: true }, { description: `${description}; ${moneyRules}; blank for none` }))

/** What GET /items/ and the catalogue find by, and in which order: one declaration for both. */
export const FindQueryFields = {
  q: Type.Optional(
    Type.String({
      maxLength: NAME_MAX_LENGTH,
      pattern: '^[^\\p{Cc}]*$',
      description: `Words that the name or the description must each contain, case and accents ignored; the last word also matches the start of a word ("buck" finds "Bucket"). Trimmed; at most ${NAME_MAX_LENGTH} characters. Empty finds everything.`,
      examples: ['rusty buck'],
    }),
  ),
  prefix: Type.Optional(NamePrefix),
  min_price: priceBound('Only items priced at least this'),
  max_price: priceBound('Only items priced at most this'),
  sort: Type.Optional(
    Type.Enum([...SORT_ORDERS], {
      default: 'name',
      description:
        'name: people\'s name order (case and accents ignored first, then the exact name: "bucket" beside "Bucket", "Čajník" among the C\'s); price: cheapest first; -price: dearest first (equal prices by name)',
    }),
  ),
}

export const ItemListQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: LIST_LIMIT_MAX,
      default: LIST_LIMIT_DEFAULT,
      description: `How many items, 1 to ${LIST_LIMIT_MAX}`,
    }),
    after: Type.Optional(
      Cursor('The `next` of the previous page: in name order the last name seen (any name works), in price order an opaque cursor'),
    ),
    ...FindQueryFields,
  },
  { additionalProperties: false },
)

export const ItemList = Type.Object({
  items: Type.Array(ItemJson),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `after` (with the same q, prefix, prices and sort) to get the next page; null on the last page. In name order it is the last name of this page',
  }),
})
