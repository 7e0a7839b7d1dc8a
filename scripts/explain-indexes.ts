// Asserts that MongoDB answers the service's name, search and price queries from its indexes: each query the
// repository builds (src/items/find.ts) is explained, and its winning plan must scan an index (IXSCAN) and
// never the whole collection (COLLSCAN). The GitHub workflow runs it against mongo:7 (.github/workflows/ci.yml).
//
//   MONGODB_URI=mongodb://127.0.0.1:27017/explain npx tsx scripts/explain-indexes.ts
//
// It creates the indexes as the service does at start, fills the database's items collection with 3 000
// items (their derived keys from src/items/item-keys.ts), and drops the database at the end. FerretDB plans
// no index for these queries (it scans, docs/data.md): there the plans are printed and nothing is asserted.
import mongoose from 'mongoose'
import pino from 'pino'
import { countBeforeFilter, matchFilter, pageQuery, type FindFilter, type Position, type SortOrder } from '../src/items/find.js'
import { itemKeys } from '../src/items/item-keys.js'
import { lookAlikeKey } from '../src/items/look-alike.js'
import { createIndexes } from '../src/items/start-tasks.js'
import { itemModel, READ_PROJECTION } from '../src/items/stored-item.js'

const ITEMS = 3_000
const WORDS = ['rusty', 'bucket', 'lamp', 'brass', 'teapot', 'cast', 'iron', 'rope', 'anchor', 'crate']

const uri = process.env.MONGODB_URI ?? ''
if (!/^mongodb(\+srv)?:\/\/[^/]+\/[^/?]+/.test(uri)) {
  console.error('explain-indexes: set MONGODB_URI to a database of its own, e.g. mongodb://127.0.0.1:27017/explain (it is dropped at the end)')
  process.exit(2)
}

/** Every stage of a plan, depth first. */
function stages(plan: unknown): string[] {
  if (typeof plan !== 'object' || plan === null) return []
  const node = plan as { stage?: unknown; inputStage?: unknown; inputStages?: unknown[]; queryPlan?: unknown }
  return [
    ...(typeof node.stage === 'string' ? [node.stage] : []),
    ...stages(node.queryPlan),
    ...stages(node.inputStage),
    ...(Array.isArray(node.inputStages) ? node.inputStages.flatMap(stages) : []),
  ]
}

const connection = mongoose.createConnection()
await connection.openUri(uri, { serverSelectionTimeoutMS: 10_000, autoIndex: false, autoCreate: false })
const Items = itemModel(connection)
try {
  await connection.dropDatabase()
  await createIndexes(Items, pino({ level: 'warn' }))
  const docs = Array.from({ length: ITEMS }, (_, i) => {
    const name = `${WORDS[i % WORDS.length] ?? ''} ${String(i).padStart(5, '0')}`
    const description = `${WORDS[(i * 7) % WORDS.length] ?? ''} number ${i}`
    return { _id: name, priceCents: BigInt(100 + ((i * 37) % 5_000)), description, taxCents: null, createdAt: new Date(), writeToken: new mongoose.Types.ObjectId(), ...itemKeys(name, description) }
  })
  for (let start = 0; start < docs.length; start += 1_000) await Items.insertMany(docs.slice(start, start + 1_000))

  const middle: Position = { name: 'lamp 01502', priceCents: 1_000 }
  const pages: [string, SortOrder, FindFilter, Position | undefined, Position | undefined][] = [
    ['name order, first page', 'name', {}, undefined, undefined],
    ['name order, after a name', 'name', {}, middle, undefined],
    ['name order, before a name (Previous page)', 'name', {}, undefined, middle],
    ['the start of the name', 'name', { prefix: 'lamp 01' }, undefined, undefined],
    ['one word (also as the start of one)', 'name', { q: 'teap' }, undefined, undefined],
    ['two words', 'name', { q: 'rusty numb' }, middle, undefined],
    ['a price range in name order', 'name', { minPriceCents: 1_000, maxPriceCents: 1_200 }, undefined, undefined],
    ['price order, first page', 'price', {}, undefined, undefined],
    ['price order, after a cursor', 'price', {}, middle, undefined],
    ['-price order, after a cursor', '-price', {}, middle, undefined],
    ['price order within a range', 'price', { minPriceCents: 1_000, maxPriceCents: 3_000 }, middle, undefined],
    ['words in -price order', '-price', { q: 'brass' }, undefined, undefined],
  ]
  const explained: [string, Promise<unknown>][] = pages.map(([label, sort, filter, after, before]) => {
    const query = pageQuery(sort, filter, after, before)
    return [label, Items.find(query.filter, READ_PROJECTION).sort(query.sort).limit(21).explain('queryPlanner')]
  })
  // The catalogue's counts (the total and where a page starts), and the look-alike lookup of a 409.
  explained.push(['the total of a search', Items.find(matchFilter({ q: 'rusty' }), { _id: 1 }).explain('queryPlanner')])
  explained.push(['where a page starts, in price order', Items.find(countBeforeFilter('price', {}, middle), { _id: 1 }).explain('queryPlanner')])
  explained.push(['the item holding a look-alike key', Items.findOne({ nameKey: lookAlikeKey('Lamp 01502') }).explain('queryPlanner')])

  const failed: string[] = []
  const buildInfo = await connection.db?.admin().command({ buildInfo: 1 })
  const ferretdb = buildInfo?.ferretdbVersion !== undefined
  for (const [label, explanation] of explained) {
    const result = (await explanation) as { queryPlanner?: { winningPlan?: unknown } }[] | { queryPlanner?: { winningPlan?: unknown } }
    const plan = Array.isArray(result) ? result[0] : result
    const found = stages(plan?.queryPlanner?.winningPlan)
    const ok = found.includes('IXSCAN') && !found.includes('COLLSCAN')
    console.log(`${ok ? 'IXSCAN ' : 'NO INDEX'}  ${label}: ${found.join(' <- ') || JSON.stringify(plan?.queryPlanner)}`)
    if (!ok) failed.push(label)
  }
  if (ferretdb) {
    console.log('\nThis is FerretDB, which plans no index for these queries (docs/data.md): nothing asserted.')
  } else if (failed.length > 0) {
    console.error(`\nexplain-indexes: ${failed.length} queries are not answered from an index: ${failed.join('; ')}`)
    process.exitCode = 1
  } else {
    console.log(`\nAll ${explained.length} queries are answered from indexes.`)
  }
} finally {
  await connection.dropDatabase().catch(() => undefined)
  await connection.close()
}
