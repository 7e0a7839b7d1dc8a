// Finding items: the orders, the filters (words, price range, the start of the name) and keyset paging, as
// MongoDB filters and sorts over the derived fields of stored-item.ts. The repository runs them; the CI's
// index check (scripts/explain-indexes.ts) explains the same ones.
import { fold, sortName, wordsOf } from './item-keys.js'
import { prefixUpperBound } from './names.js'

export const SORT_ORDERS = ['name', 'price', '-price'] as const
export type SortOrder = (typeof SORT_ORDERS)[number]

/** What the items are filtered by; every part optional. */
export interface FindFilter {
  /** Words that the name or the description must each contain (the last one also as the start of a word). */
  q?: string | undefined
  /** The exact start of the name (NFC; case and accents count). */
  prefix?: string | undefined
  minPriceCents?: number | undefined
  maxPriceCents?: number | undefined
}

/** Where a page starts or ends: an item's place in the order. The price is needed by the price orders only. */
export interface Position {
  name: string
  priceCents?: number | undefined
}

interface OrderKey {
  field: 'sortName' | 'priceCents'
  direction: 1 | -1
}

// Each order ends with the name, so it is total (names are unique) and a page boundary is exact. People's
// name order is sortName (item-keys.ts); the price orders break ties by name, A to Z in both.
const ORDERS: Record<SortOrder, OrderKey[]> = {
  name: [{ field: 'sortName', direction: 1 }],
  price: [
    { field: 'priceCents', direction: 1 },
    { field: 'sortName', direction: 1 },
  ],
  '-price': [
    { field: 'priceCents', direction: -1 },
    { field: 'sortName', direction: 1 },
  ],
}

type Filter = Record<string, unknown>

function keyValue(key: OrderKey, position: Position): string | number {
  if (key.field === 'sortName') return sortName(position.name)
  if (position.priceCents === undefined) throw new Error('a position in price order needs the price')
  return position.priceCents
}

/** Items strictly after `position` in the order (or, with `forward` false, strictly before it). */
function beyond(order: OrderKey[], position: Position, forward: boolean): Filter {
  const branches = order.map((key, i) => {
    const branch: Filter = {}
    for (const earlier of order.slice(0, i)) branch[earlier.field] = keyValue(earlier, position)
    branch[key.field] = { [(key.direction === 1) === forward ? '$gt' : '$lt']: keyValue(key, position) }
    return branch
  })
  return branches.length === 1 ? (branches[0] ?? {}) : { $or: branches }
}

/** A range of strings that start with `start`: [start, the least string above all of them). */
function startingWith(start: string): Filter {
  const upper = prefixUpperBound(start)
  return upper === undefined ? { $gte: start } : { $gte: start, $lt: upper }
}

/** `text` as a regular expression that matches only itself (words hold letters and digits only; this is a guard). */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
}

/** The filter's conditions, each answerable from an index on MongoDB. */
function conditions(filter: FindFilter): Filter[] {
  const parts: Filter[] = []
  const words = filter.q === undefined ? [] : wordsOf(filter.q)
  const last = words.pop()
  for (const word of words) parts.push({ words: word })
  // An element that starts with the last word. Not $elemMatch with a range: FerretDB 1.24 applies its bounds to
  // different elements. An anchored regex of plain letters and digits is a range on the index to MongoDB.
  if (last !== undefined) parts.push({ words: { $regex: `^${escapeRegex(last)}` } })
  if (filter.prefix !== undefined && filter.prefix !== '') {
    // The folded start bounds sortName (its index serves the name order); the exact start decides.
    const folded = fold(filter.prefix)
    if (folded !== '') parts.push({ sortName: startingWith(folded) })
    parts.push({ _id: startingWith(filter.prefix) })
  }
  const price: Filter = {}
  if (filter.minPriceCents !== undefined) price.$gte = filter.minPriceCents
  if (filter.maxPriceCents !== undefined) price.$lte = filter.maxPriceCents
  if (Object.keys(price).length > 0) parts.push({ priceCents: price })
  return parts
}

function allOf(parts: Filter[]): Filter {
  if (parts.length === 0) return {}
  if (parts.length === 1) return parts[0] ?? {}
  return { $and: parts }
}

export interface PageQuery {
  filter: Filter
  sort: Record<string, 1 | -1>
  /** The page was asked for backwards (before a position): reverse what the query returns. */
  backwards: boolean
}

/** The query for a page: after `after`, or (without it) just before `before`, in the order `sort`. */
export function pageQuery(sort: SortOrder, filter: FindFilter, after?: Position, before?: Position): PageQuery {
  const order = ORDERS[sort]
  const backwards = after === undefined && before !== undefined
  const parts = conditions(filter)
  if (after !== undefined) parts.push(beyond(order, after, true))
  else if (before !== undefined) parts.push(beyond(order, before, false))
  const direction = backwards ? -1 : 1
  return {
    filter: allOf(parts),
    sort: Object.fromEntries(order.map((key) => [key.field, key.direction * direction])) as Record<string, 1 | -1>,
    backwards,
  }
}

/** The filter of the items that match and come before `position` in the order: where a page starts. */
export function countBeforeFilter(sort: SortOrder, filter: FindFilter, position: Position): Filter {
  return allOf([...conditions(filter), beyond(ORDERS[sort], position, false)])
}

/** The filter of every item that matches. */
export function matchFilter(filter: FindFilter): Filter {
  return allOf(conditions(filter))
}

// ---- cursors: what `next` says and `after` takes ----

/** A cursor that does not come from a page of this order. */
export class CursorError extends Error {
  override name = 'CursorError'
}

/**
 * The cursor of an item's place in the order. In name order it is the name itself (as the list always
 * answered, so clients that page by name keep working); in price order the price and the name, encoded
 * (base64url JSON): opaque to clients, who pass it back as it is.
 */
export function cursorOf(sort: SortOrder, position: Position): string {
  if (sort === 'name') return position.name
  return Buffer.from(JSON.stringify([position.priceCents, position.name])).toString('base64url')
}

/** An item's place in every order. */
export function positionOf(item: { name: string; price: number }): Position {
  return { name: item.name, priceCents: item.price }
}

/** The place a cursor names; throws CursorError for a price-order cursor that is not one. */
export function parseCursor(sort: SortOrder, cursor: string): Position {
  if (sort === 'name') return { name: cursor }
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    decoded = undefined
  }
  if (Array.isArray(decoded) && decoded.length === 2 && Number.isSafeInteger(decoded[0]) && typeof decoded[1] === 'string') {
    return { priceCents: decoded[0] as number, name: decoded[1] }
  }
  throw new CursorError(`not a cursor of sort=${sort}`)
}
