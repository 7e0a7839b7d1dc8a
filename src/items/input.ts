// Turns validated input into an ItemRecord. Validation (schemas.ts and the x-money keyword) has
// already refused anything that breaks a rule, so these conversions cannot fail.
import { numberText } from '../http/json-body.js'
import { parseMoney } from '../money.js'
import type { ItemRecord } from './repository.js'
import type { ItemCreate, ItemForm } from './schemas.js'

function cents(field: string, value: string | number, holder: object): number {
  const result = parseMoney(field, value, numberText(holder, field))
  if (!result.ok) throw new Error(`unvalidated ${field} reached the handler: ${result.msg}`)
  return result.cents
}

/** JSON channel: a missing description or tax is null. */
export function fromJson(body: ItemCreate): ItemRecord {
  return {
    name: body.name,
    priceCents: cents('price', body.price, body),
    description: body.description ?? null,
    taxCents: body.tax === undefined || body.tax === null ? null : cents('tax', body.tax, body),
  }
}

/** Form channel, as in the original demo: a blank (or whitespace-only) description is "", a blank tax is 0. */
export function fromForm(body: ItemForm): ItemRecord {
  const tax = body.tax?.trim() ?? ''
  const description = body.description ?? ''
  return {
    name: body.name,
    priceCents: cents('price', body.price, body),
    description: description.trim() === '' ? '' : description,
    taxCents: tax === '' ? 0 : cents('tax', tax, body),
  }
}
