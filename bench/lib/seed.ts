// Preloads items straight through the driver, in the exact shape the service stores.
import { Long, ObjectId, type IndexOptions, type MongoClient } from 'mongodb'
import type { StoredItem } from '../../harness/items.js'
import { itemKeys } from '../../src/items/item-keys.js'
import { itemSchema } from '../../src/items/stored-item.js'

/** Zero-padded, so name order is number order and a deep page's `after` is easy to pick. */
export function itemName(index: number): string {
  return `item-${String(index).padStart(7, '0')}`
}

/** Inserts items [from, to) in batches; returns the elapsed ms. */
export async function preload(client: MongoClient, dbName: string, from: number, to: number, batchSize = 1_000): Promise<number> {
  const items = client.db(dbName).collection<StoredItem>('items')
  const started = performance.now()
  // The indexes the service creates at start, first: built on a full collection instead, FerretDB would keep
  // the service's start busy (and not ready) for minutes at 100 000 items.
  for (const [fields, options] of itemSchema.indexes()) await items.createIndex(fields as Record<string, 1 | -1>, options as IndexOptions, undefined)
  for (let start = from; start < to; start += batchSize) {
    const docs: StoredItem[] = []
    for (let i = start; i < Math.min(to, start + batchSize); i++) {
      const description = `Preloaded item number ${i}`
      docs.push({
        _id: itemName(i),
        priceCents: Long.fromNumber(100 + (i % 100_000)),
        description,
        taxCents: i % 2 === 0 ? null : Long.fromNumber(i % 1_000),
        createdAt: new Date(),
        writeToken: new ObjectId(),
        // The derived keys the service stores with each item, so its start finds nothing to migrate.
        ...itemKeys(itemName(i), description),
      })
    }
    await items.insertMany(docs, { ordered: false })
  }
  return performance.now() - started
}
