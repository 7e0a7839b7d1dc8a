// A stored item never changes, so its answers (its JSON, its page) are the same bytes forever: once rendered
// they are kept in memory, and a later read of that item needs neither the database nor a renderer. Bounded
// in bytes (READ_CACHE_MB), least recently used dropped first (lru-cache); nothing is ever invalidated. A name
// with no item is never kept, so it answers 200 as soon as the item is created. Each instance keeps its own.
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import type { FixedAnswer } from '../http/conditional.js'
import type { CachedRepresentation } from '../plugins/metrics.js'
import { nfc } from './names.js'
import type { Item } from './stored-item.js'

/** READ_CACHE_MB's default: about 6 000 items of the bench's size (2.4 KiB each as counted), fewer with long descriptions. */
export const READ_CACHE_DEFAULT_MB = 16

/** What is kept of one item: its record and the answers rendered so far. */
interface Entry {
  readonly item: Item
  readonly json?: FixedAnswer | undefined
  readonly page?: FixedAnswer | undefined
}

/**
 * Counted per item beside its answers' bytes: the entry, the record, the name, two Buffer objects and their
 * backing stores' bookkeeping, and lru-cache's slots (an estimate on the high side, see docs/performance.md).
 */
export const ENTRY_OVERHEAD_BYTES = 1024

function entrySize(entry: Entry): number {
  const text = entry.item.name.length + (entry.item.description?.length ?? 0)
  return ENTRY_OVERHEAD_BYTES + 2 * text + (entry.json?.body.length ?? 0) + (entry.page?.body.length ?? 0)
}

export interface ReadCache {
  /**
   * The item's answer of this representation: from memory when kept, else read and rendered by `render` and
   * kept; null when no item has that name (never kept).
   */
  answer(name: string, representation: CachedRepresentation, render: (item: Item) => FixedAnswer): Promise<FixedAnswer | null>
  /** The item itself, for an answer that is not kept (a page with something of one request's own). */
  item(name: string): Promise<Item | null>
}

declare module 'fastify' {
  interface FastifyInstance {
    readCache: ReadCache
  }
}

export interface ReadCacheOptions {
  /** The bound in bytes; 0 turns the cache off (every read goes to the database). */
  maxBytes: number
}

export default fp<ReadCacheOptions>(
  function readCache(fastify, { maxBytes }, done) {
    const findByName = (name: string): Promise<Item | null> => fastify.items.findByName(name)
    const { cacheLookup, cacheStored } = fastify.metrics

    if (maxBytes === 0) {
      fastify.decorate('readCache', {
        answer: async (name, _representation, render) => {
          const item = await findByName(name)
          return item === null ? null : render(item)
        },
        item: findByName,
      } satisfies ReadCache)
      done()
      return
    }

    let evicted = 0
    const cache = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: entrySize,
      dispose: (_entry, _name, reason) => {
        if (reason === 'evict') evicted += 1
      },
    })

    /** The entry for `name` as findByName would find it. Only items stored under their NFC name are kept (see keep). */
    function kept(name: string): Entry | undefined {
      const entry = cache.get(name)
      if (entry !== undefined) return entry
      const composed = nfc(name)
      return composed === name ? undefined : cache.get(composed)
    }

    function keep(item: Item, representation: CachedRepresentation, answer: FixedAnswer): void {
      // An item stored before names were normalized is found under its own spelling only while no item holds
      // the composed one, so which item a name leads to could change: such an item is not kept.
      if (nfc(item.name) !== item.name) return
      // A new entry each time (lru-cache sizes an entry when it is set), with what a concurrent read kept.
      const current = cache.get(item.name)
      cache.set(item.name, { item, json: current?.json, page: current?.page, [representation]: answer })
      cacheStored(cache.calculatedSize, cache.size, evicted)
      evicted = 0
    }

    fastify.decorate('readCache', {
      async answer(name, representation, render) {
        const entry = kept(name)
        const hit = entry?.[representation]
        cacheLookup(representation, hit !== undefined)
        if (hit !== undefined) return hit
        const item = entry?.item ?? (await findByName(name))
        if (item === null) return null
        const answer = render(item)
        keep(item, representation, answer)
        return answer
      },
      async item(name) {
        return kept(name)?.item ?? findByName(name)
      },
    } satisfies ReadCache)
    done()
  },
  { name: 'read-cache', dependencies: ['items-repository', 'metrics'] },
)
