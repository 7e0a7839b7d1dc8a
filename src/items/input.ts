// Turns validated input into an ItemRecord. Validation (schemas.ts) has already refused anything that
// breaks a rule and turned money into hundredths, so what is left are the channels' defaults.
import type { ItemCreate, ItemForm } from './schemas.js'
import { apiName, isMoney, ITEM_FIELDS, type ApiField, type ItemRecord } from './stored-item.js'

// Each channel's schema names every field of the stored item: these fail to compile until it does.
type Carries<Body> = [Exclude<ApiField, keyof Body>] extends [never] ? true : false
type Compiles<T extends true> = T
export type JsonCarriesEveryField = Compiles<Carries<ItemCreate>>
export type FormCarriesEveryField = Compiles<Carries<ItemForm>>

function toRecord(body: { name: string }, value: (field: (typeof ITEM_FIELDS)[number], sent: unknown) => unknown): ItemRecord {
  const record: Record<string, unknown> = { name: body.name }
  for (const field of ITEM_FIELDS) record[field] = value(field, (body as Record<string, unknown>)[apiName(field)])
  return record as ItemRecord
}

/** JSON channel: a missing field is null. */
export function fromJson(body: ItemCreate): ItemRecord {
  return toRecord(body, (_field, sent) => sent ?? null)
}

/** Form channel, as in the original demo: blank (or whitespace-only) text is "", a blank amount is 0. */
export function fromForm(body: ItemForm): ItemRecord {
  return toRecord(body, (field, sent) => {
    if (isMoney(field)) return sent ?? 0
    return typeof sent !== 'string' || sent.trim() === '' ? '' : sent
  })
}
