// The stored document, declared once: this Mongoose schema. The document's TypeScript type, the item's type
// and field list (read, compared, copied), the read projection and the collection's validator follow from it.
import mongoose, { Schema, type Connection, type InferRawDocType } from 'mongoose'
import { MAX_CENTS, type Cents } from '../money.js'
import { DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH } from './schemas.js'

/** Characters as the API and MongoDB's $jsonSchema count them: code points, not UTF-16 units. */
function characters(min: number, max: number) {
  const within = (value: unknown): boolean => {
    if (value === null || value === undefined) return true
    if (typeof value !== 'string') return false
    const length = Array.from(value).length
    return length >= min && length <= max
  }
  return {
    validate: { validator: within, message: `{PATH} must be ${min} to ${max} characters` },
    bounds: { minLength: min, maxLength: max },
  }
}

/** An amount of money: a 64-bit integer count of hundredths, within what the API accepts. */
function money() {
  const within = (value: unknown): boolean =>
    value === null || value === undefined || (typeof value === 'bigint' && value >= 0n && value <= BigInt(MAX_CENTS))
  return {
    type: BigInt,
    validate: { validator: within, message: `{PATH} must be 0 to ${MAX_CENTS} hundredths` },
    bounds: { minimum: 0, maximum: MAX_CENTS },
  }
}

// An item's own fields besides its name. A field stored under another name than the API's has the API's name as
// its alias (Mongoose sets priceCents from price). A field added here is read, compared, copied and validated
// everywhere; the API's schemas (schemas.ts) and the pages (src/views/) fail to compile until they show it.
const itemFields = {
  priceCents: { ...money(), required: true, alias: 'price' },
  description: { type: String, default: null, ...characters(0, DESCRIPTION_MAX_LENGTH) },
  taxCents: { ...money(), default: null, alias: 'tax' },
} as const

const definition = {
  // The name is the key: unique by construction, and reads by name use the _id index.
  _id: { type: String, required: true, ...characters(1, NAME_MAX_LENGTH) },
  ...itemFields,
  createdAt: { type: Date, required: true },
  /** Unique to one create request: tells our own insert from another client's with the same name. */
  writeToken: { type: Schema.Types.ObjectId, required: true },
  /** Who created it (docs/security.md): key:<label> or editor:<name>; absent while writes are open. Never read back. */
  createdBy: { type: String, ...characters(1, 100) },
  // Derived from the name and description by item-keys.ts alone, never read back. Not required: items
  // stored before they existed get them from the migration (docs/data.md), and a writer that does not know
  // them is not refused by the collection validator.
  /** What the name looks like (look-alike.ts): unique, so names that read the same are one name. */
  nameKey: { type: String },
  /** The name held nameKey's key before keys existed: this item keeps a marked key (item-keys.ts markedKey). */
  lookAlikeOf: { type: String },
  /** People's name order: the folded name, then the name. */
  sortName: { type: String },
  /** The folded words of the name and the description, for GET /items/?q=. */
  words: { type: [String], default: undefined },
  /** The version of item-keys.ts's rules the fields above follow. */
  keysVersion: { type: Number },
} as const

// bufferCommands: false makes calls fail at once while disconnected instead of running later, after the
// client was already told 503.
export const itemSchema = new Schema(definition, { collection: 'items', versionKey: false, bufferCommands: false })

// The indexes, created by the service at start (repository.ts; docs/data.md says what to do where the
// database user may not). Sparse: items stored before keys existed have no nameKey until migrated.
itemSchema.index({ nameKey: 1 }, { unique: true, sparse: true, name: 'nameKey_unique' })
itemSchema.index({ sortName: 1 }, { name: 'sortName' })
itemSchema.index({ words: 1 }, { name: 'words' })
itemSchema.index({ priceCents: 1, sortName: 1 }, { name: 'price_sortName' })
itemSchema.index({ priceCents: -1, sortName: 1 }, { name: 'price_desc_sortName' })

/** The items collection's model on a connection (one per connection; Mongoose keeps it by name). */
export function itemModel(connection: Connection) {
  return connection.model('Item', itemSchema)
}
export type ItemModel = ReturnType<typeof itemModel>

/** The stored document as Mongoose casts it: money as bigint. */
export type StoredItem = InferRawDocType<typeof definition>

type StoredField = keyof typeof itemFields
type ApiName<K extends StoredField> = (typeof itemFields)[K] extends { alias: infer A extends string } ? A : K
type Handled<T> = T extends bigint ? Cents : T

/** The item: its name and its fields under their API names, money in hundredths (at most 10^15). */
export type Item = { name: string } & { -readonly [K in StoredField as ApiName<K>]-?: Handled<Exclude<StoredItem[K], undefined>> }
export type ItemField = Exclude<keyof Item, 'name'>

/** Each field of an item besides its name: its name, where it is stored, and whether it is money. */
export const ITEM_FIELDS = Object.entries(itemFields).map(([path, options]) => ({
  name: ('alias' in options ? options.alias : path) as ItemField,
  path,
  money: options.type === BigInt,
}))

/** The API names of the money fields (price, tax). */
export const MONEY_FIELDS: ReadonlySet<string> = new Set(ITEM_FIELDS.filter((field) => field.money).map((field) => field.name))

/** What reads return: the name and the item's fields. */
export const READ_PROJECTION: Record<string, 1> = Object.fromEntries(['_id', ...ITEM_FIELDS.map((field) => field.path)].map((path) => [path, 1]))

/** The item of a document as read (lean: int64 comes back as a number; a field another writer left out is null). */
export function toItem(doc: { _id: string } & Record<string, unknown>): Item {
  const item: Record<string, unknown> = { name: doc._id }
  for (const { name, path } of ITEM_FIELDS) item[name] = doc[path] ?? null
  return item as Item
}

/** A new document as stored: the item's fields under their stored names, money as bigint (written as int64). */
export type NewDocument = Pick<StoredItem, '_id' | 'createdAt' | 'writeToken'> & { createdBy?: string } & Record<string, unknown>

/**
 * The document a create stores, built in one pass in the schema's order of fields (as Mongoose would store it),
 * already cast: `rest` (the write token, the author, the derived keys) goes after the item's fields.
 */
export function newDocument<T extends { createdAt: Date; writeToken: StoredItem['writeToken'] }>(item: Item, rest: T): NewDocument & T {
  const doc: Record<string, unknown> = { _id: item.name }
  for (const { name, path, money } of ITEM_FIELDS) {
    const value = item[name]
    doc[path] = money && value !== null ? BigInt(value) : value
  }
  return Object.assign(doc, rest) as NewDocument & T
}

// The schema's own rules (required paths, and the validators declared above), kept to check a plain document.
const RULES = Object.entries(definition).flatMap(([path, options]) => {
  const required = 'required' in options && options.required
  const validate = 'validate' in options ? options.validate : undefined
  return required || validate !== undefined ? [{ path, required, validate }] : []
})

/**
 * The schema's rules on a new document without building a Mongoose document for it (Model.validate, which also
 * casts, costs more than building one: docs/performance.md). Mongoose's ValidationError naming each path that
 * breaks a rule, or null.
 */
export function schemaRefusal(doc: Record<string, unknown>): mongoose.Error.ValidationError | null {
  let refusal: mongoose.Error.ValidationError | null = null
  for (const { path, required, validate } of RULES) {
    const value = doc[path]
    const message = required && (value === null || value === undefined) ? `${path} is required` : validate?.validator(value) === false ? validate.message.replace('{PATH}', path) : undefined
    if (message === undefined) continue
    refusal ??= new mongoose.Error.ValidationError()
    refusal.addError(path, new mongoose.Error.ValidatorError({ message, path, value }))
  }
  return refusal
}

/** The same fields and values: what makes a create sent again identical to the stored one. */
export function sameItem(a: Item, b: Item): boolean {
  return ITEM_FIELDS.every(({ name }) => a[name] === b[name])
}

/**
 * A MongoDB validator from the schema: its types and required fields (Mongoose's toJSONSchema) and the
 * bounds declared above, so that another writer cannot store what this service would refuse.
 */
export function collectionValidator(): { $jsonSchema: Record<string, unknown> } {
  const jsonSchema = itemSchema.toJSONSchema({ useBsonType: true }) as { properties: Record<string, Record<string, unknown>> }
  for (const [path, type] of Object.entries(itemSchema.paths)) {
    const bounds = (type.options as { bounds?: Record<string, number> }).bounds
    const property = jsonSchema.properties[path]
    if (bounds !== undefined && property !== undefined) Object.assign(property, bounds)
  }
  return { $jsonSchema: jsonSchema }
}
