// Turns a validated body into the item. Validation (schemas.ts) has already refused anything that breaks a
// rule and turned money into Amounts, so what is left are each channel's defaults.
import type { ItemCreate, ItemForm } from './schemas.js'
import type { Cents } from '../money.js'
import type { Item } from './stored-item.js'

/** JSON channel: a missing field is null. */
export function fromJson(body: ItemCreate): Item {
  return { name: body.name, price: body.price.cents, description: body.description ?? null, tax: body.tax?.cents ?? null }
}

/** Form channel, as in the original demo: blank (or whitespace-only) text is "", a blank amount is 0. */
export function fromForm(body: ItemForm): Item {
  const description = body.description ?? ''
  return { name: body.name, price: body.price.cents, description: description.trim() === '' ? '' : description, tax: body.tax?.cents ?? (0 as Cents) }
}
