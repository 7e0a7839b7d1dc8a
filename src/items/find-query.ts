// From a validated query string (schemas.ts FindQueryFields) to what the repository finds by: the checks
// that span fields or need the order (the search has words, the price range is a range, the cursor belongs
// to the order), each answered 422 naming the parameter, on the JSON API and the catalogue alike.
import { FieldErrors, type FieldError } from '../http/errors.js'
import type { Amount } from '../money.js'
import { CursorError, parseCursor, type FindFilter, type Position, type SortOrder } from './find.js'
import { wordsOf } from './item-keys.js'

/** The query parameters of a search, as validation leaves them: prices as amounts, blank ones null. */
export interface FindQuery {
  q?: string | undefined
  prefix?: string | undefined
  min_price?: Amount | null | undefined
  max_price?: Amount | null | undefined
  sort?: SortOrder | undefined
  after?: string | undefined
  before?: string | undefined
}

export interface FindRequest {
  sort: SortOrder
  filter: FindFilter
  after: Position | undefined
  before: Position | undefined
}

const problem = (field: string, msg: string, type: string): FieldError => ({ loc: ['query', field], msg, type })

/** The search the query asks for; throws FieldErrors naming each parameter that cannot be used as sent. */
export function findRequest(query: FindQuery): FindRequest {
  const problems: FieldError[] = []
  const sort = query.sort ?? 'name'
  const q = query.q === undefined || query.q === '' ? undefined : query.q
  if (q !== undefined && wordsOf(q).length === 0) problems.push(problem('q', 'q must contain a word: letters or digits', 'search_without_words'))
  const min = query.min_price?.cents ?? undefined
  const max = query.max_price?.cents ?? undefined
  if (min !== undefined && max !== undefined && min > max) problems.push(problem('max_price', 'max_price must not be below min_price', 'price_range'))
  const position = (field: 'after' | 'before'): Position | undefined => {
    const cursor = query[field]
    if (cursor === undefined) return undefined
    try {
      return parseCursor(sort, cursor)
    } catch (err) {
      if (!(err instanceof CursorError)) throw err
      problems.push(problem(field, `${field} must be the \`next\` of a page in the same order (sort=${sort}), passed as it is`, 'cursor'))
      return undefined
    }
  }
  const after = position('after')
  const before = position('before')
  if (problems.length > 0) throw new FieldErrors(problems)
  return { sort, filter: { q, prefix: query.prefix, minPriceCents: min, maxPriceCents: max }, after, before }
}
