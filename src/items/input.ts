// Turns validated input into an ItemRecord. Validation (schemas.ts) has already refused anything that
// breaks a rule and turned money into hundredths, so what is left are the channels' defaults.
import type { ItemRecord } from './repository.js'
import type { ItemCreate, ItemForm } from './schemas.js'

/** JSON channel: a missing description or tax is null. */
export function fromJson(body: ItemCreate): ItemRecord {
  return {
    name: body.name,
    priceCents: body.price,
    description: body.description ?? null,
    taxCents: body.tax ?? null,
  }
}

/** Form channel, as in the original demo: a blank (or whitespace-only) description is "", a blank tax is 0. */
export function fromForm(body: ItemForm): ItemRecord {
  const description = body.description ?? ''
  return {
    name: body.name,
    priceCents: body.price,
    description: description.trim() === '' ? '' : description,
    taxCents: body.tax ?? 0,
  }
}
