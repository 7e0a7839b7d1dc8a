// The whole catalogue as one file, streamed: items come from the repository's cursor as the client reads, so
// memory stays flat whatever the catalogue's size and however slowly the client reads (Readable.from pulls
// the next item only when the response has room for it).
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { csvRecord, csvWriter } from './csv.js'
import type { Item } from './stored-item.js'

/** Text is handed to the socket in pieces of about this size, not a write per item. */
const CHUNK_CHARS = 32 * 1024

/** The download's file name: items-<date>.<extension>, the date in UTC. */
export function exportFilename(extension: string, now = new Date()): string {
  return `items-${now.toISOString().slice(0, 10)}.${extension}`
}

/** Throws `reason()`'s answer as an error when it has one: the export breaks off (the service is closing). */
async function* untilStopped<T>(items: AsyncIterable<T>, reason: () => string | undefined): AsyncGenerator<T> {
  for await (const item of items) {
    const why = reason()
    if (why !== undefined) throw new Error(why)
    yield item
  }
}

/** NDJSON: one line per item, each `line(item)`. */
export function ndjsonExport(items: AsyncIterable<Item>, line: (item: Item) => string, stopReason: () => string | undefined): Readable {
  async function* chunks(): AsyncGenerator<string> {
    let text = ''
    for await (const item of untilStopped(items, stopReason)) {
      text += `${line(item)}\n`
      if (text.length >= CHUNK_CHARS) {
        yield text
        text = ''
      }
    }
    if (text !== '') yield text
  }
  return Readable.from(chunks(), { objectMode: false })
}

/** CSV: the header, then one record per item (src/items/csv.ts). */
export function csvExport(items: AsyncIterable<Item>, stopReason: () => string | undefined): Readable {
  const writer = csvWriter()
  async function* records(): AsyncGenerator<(string | null)[]> {
    for await (const item of untilStopped(items, stopReason)) yield csvRecord(item)
  }
  // An error on the way (the database failing mid-export) destroys the writer, and with it the response.
  pipeline(Readable.from(records()), writer).catch((err: unknown) => writer.destroy(err instanceof Error ? err : new Error(String(err))))
  return writer
}
