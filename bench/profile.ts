// `npm run bench:profile`: the built service under load with node --cpu-prof, one process per scenario (a
// read, a JSON create, a form create), then the functions with the most self time in each. The .cpuprofile
// files open as flame graphs in Chrome DevTools or speedscope.
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MongoClient } from 'mongodb'
import { findDatabase } from '../harness/database.js'
import { withDatabase } from '../harness/mongo-uri.js'
import { getOne, index, postForm, postJson, runLoad, type Scenario } from './lib/load.js'
import { BenchServer, makeWorkDir, startScriptNodeFlags } from './lib/processes.js'
import { preload } from './lib/seed.js'
import { round } from './lib/stats.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, top: { type: 'string', default: '25' }, only: { type: 'string' } } })

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

/** Where a function lives, coarsely: a package, a file of ours, node itself, or the engine (GC, native writes). */
function area(url: string): string {
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]
  if (pkg !== undefined) return pkg
  if (path.includes('/dist/')) return `ours: ${path.slice(path.indexOf('/dist/') + 1)}`
  if (path.startsWith('node:')) return 'node (js)'
  return path === '' ? 'native / engine' : path
}

const share = (count: number, total: number): string => (round((100 * count) / total, 1).toFixed(1) + ' %').padStart(7)

/**
 * Self time by function and by area, over the samples taken after `skipMs` (start-up and warm-up), and
 * leaving out idle time: shares of the time the process was busy serving.
 */
function summarizeProfile(file: string, skipMs: number, top: number): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const functions = new Map<string, number>()
  const areas = new Map<string, number>()
  let elapsedUs = 0
  let total = 0
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0
    const frame = byNode.get(id)?.callFrame
    if (elapsedUs < skipMs * 1000 || frame === undefined || frame.functionName === '(idle)') return
    total += 1
    const where = frame.url === '' ? '' : ` ${frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '')}:${frame.lineNumber + 1}`
    const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`
    functions.set(key, (functions.get(key) ?? 0) + 1)
    const a = frame.url === '' ? frame.functionName.startsWith('(') ? frame.functionName : 'native / engine' : area(frame.url)
    areas.set(a, (areas.get(a) ?? 0) + 1)
  })
  const sorted = (m: Map<string, number>, n: number): string[] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, count]) => `${share(count, total)}  ${key}`)
  return [`  busy samples: ${total}; by area:`, ...sorted(areas, 15), '  top functions (self time):', ...sorted(functions, top)]
}

const work = makeWorkDir()
const db = await findDatabase(['MONGODB_URI', 'ferretdb'])
const client = new MongoClient(db.uri)
const outDir = join(ROOT, 'bench', 'results', 'profiles')
mkdirSync(outDir, { recursive: true })
try {
  const scenarios: Scenario[] = [getOne(1_000), index, postJson, postForm].filter((s) => args.only === undefined || args.only.split(',').includes(s.id))
  for (const scenario of scenarios) {
    const name = `bench_profile_${scenario.id.replace('-', '_')}`
    await client.db(name).dropDatabase()
    await preload(client, name, 0, 1_000)
    const dir = join(outDir, scenario.id)
    mkdirSync(dir, { recursive: true })
    for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) rmSync(join(dir, f))
    const flags = [...startScriptNodeFlags(join(ROOT, 'package.json')), '--cpu-prof', `--cpu-prof-dir=${dir}`]
    const server = await BenchServer.start(`profile-${scenario.id}`, [...flags, join(ROOT, 'dist', 'server.js')], { MONGODB_URI: withDatabase(db.uri, name), NODE_ENV: 'production', RATE_LIMIT_CREATES: '1000000' }, work.path)
    const loadAt = performance.now()
    await runLoad(server.baseUrl, scenario, 2, 10)
    const measuredAt = performance.now()
    const result = await runLoad(server.baseUrl, scenario, Number(args.seconds), 10)
    await server.stop()
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    process.stdout.write(`\n${scenario.title}: ${result.rps} req/s (${dir}/${file ?? '?'}):\n`)
    // Samples from the end of the warm-up on: start-up (module loading) is not what a request costs.
    const skipMs = server.startupMs + (measuredAt - loadAt)
    if (file !== undefined) process.stdout.write(`${summarizeProfile(join(dir, file), skipMs, Number(args.top)).join('\n')}\n`)
    if (process.env.MONGODB_URI !== undefined) await client.db(name).dropDatabase()
  }
} finally {
  await client.close()
  await db.dispose()
  work.remove()
}
