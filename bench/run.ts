// `npm run bench` (full) and `npm run bench:quick` (CI): the built service under load beside a bare
// node:http + mongodb ceiling on the same database server, then logging cost, how cost grows with the
// collection, startup time and memory. Exits non-zero only on errors, non-2xx answers or crashes; speed
// targets are printed, not enforced (pass --strict to enforce them too).
// `npm run bench -- --soak <minutes>`: a steady mixed load on the service alone, reported per interval;
// exits non-zero when memory or p99 latency grew, or on any error (bench/lib/soak.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MongoClient } from 'mongodb'
import { getOne, index, list, listDeep, postForm, postJson, runLoad, type LoadResult, type Scenario, type ScenarioId } from './lib/load.js'
import { findDatabase, type DatabaseServer } from '../harness/database.js'
import { withDatabase } from '../harness/mongo-uri.js'
import { stopEverythingNow } from '../harness/process.js'
import { BenchServer, BenchSetupError, cpuMs, makeWorkDir, procStatusKb, settle, startScriptNodeFlags } from './lib/processes.js'
import { formatSoak, formatTable, renderSvg, type Aggregate, type BenchResults, type GrowthRow, type ScenarioSummary, type Target } from './lib/report.js'
import { preload } from './lib/seed.js'
import { judgeSoak, runSoak, soakIntervalSeconds, type SoakSettings } from './lib/soak.js'
import { median, round } from './lib/stats.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SERVICE_ENTRY = join(ROOT, 'dist', 'server.js')

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    // A/B: run another build of the service (its server.js) in the ceiling's place; main comparison only.
    compare: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    // Extra node flags for the service's processes, and (compare mode) for the other build's, e.g.
    // --other-node-options='--max-semi-space-size=8' to price a memory setting.
    'node-options': { type: 'string', default: '' },
    'other-node-options': { type: 'string', default: '' },
    // Compare mode: node flags in place of the start script's for the other build, e.g. '' to price them.
    'other-start-flags': { type: 'string' },
    soak: { type: 'string' },
    'soak-rate': { type: 'string', default: '300' },
  },
})

const quick = args.quick
const mode: BenchResults['mode'] = args.compare !== undefined ? 'compare' : quick ? 'quick' : 'full'
const settings = {
  connections: Number(args.connections),
  seconds: Number(args.seconds ?? (quick ? 1.5 : 5)),
  warmupSeconds: quick ? 0.5 : 2,
  rounds: Number(args.rounds ?? (quick ? 1 : 3)),
  preloaded: 1_000,
  growth: quick ? { small: 1_000, large: 10_000 } : { small: 1_000, large: 100_000 },
  // Latency growth is measured one request at a time, so queueing does not hide it.
  growthConnections: 1,
  extraStarts: quick ? 1 : 5,
}
// CPU per request of the service over the ceiling's (median of the rounds' ratios), at most.
const CPU_TARGETS: Partial<Record<ScenarioId, number>> = { 'get-one': 1.15, 'post-json': 1.2, 'post-form': 1.3 }
const TARGETS = { rssMB: 150, growth: 1.2 }

const log = (message: string): void => {
  process.stderr.write(`[bench +${(performance.now() / 1000).toFixed(0)}s] ${message}\n`)
}

const failures: string[] = []
/** Non-2xx answers that come from the database's own limits, reported apart from failures. */
const limits: string[] = []

/** Answers that are not a success: 2xx, or the form's 303 to the stored item's page. */
function unexpectedAnswers(result: LoadResult): number {
  return Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2') && code !== '303')
    .reduce((sum, [, count]) => sum + count, 0)
}

function badCount(result: LoadResult): number {
  return unexpectedAnswers(result) + result.errors + result.timeouts
}

function describeBad(label: string, scenario: ScenarioId, result: LoadResult): string {
  return `${label} ${scenario}: ${result.errors} errors, ${result.timeouts} timeouts, ${unexpectedAnswers(result)} unexpected answers (status codes ${JSON.stringify(result.statusCodes)})`
}

function aggregate(runs: LoadResult[]): Aggregate {
  const cpu = (pick: (r: LoadResult) => number | null | undefined): number | null => {
    const values = runs.map(pick).filter((v): v is number => typeof v === 'number')
    return values.length === 0 ? null : round(median(values))
  }
  return {
    rps: round(median(runs.map((r) => r.rps)), 1),
    p50: round(median(runs.map((r) => r.latencyMs.p50))),
    p99: round(median(runs.map((r) => r.latencyMs.p99))),
    mean: round(median(runs.map((r) => r.latencyMs.mean))),
    cpuServer: cpu((r) => r.cpuMsPerRequest?.server),
    cpuDatabase: cpu((r) => r.cpuMsPerRequest?.database),
  }
}

/** The median over rounds of service CPU per request / other CPU per request (runs of a round are adjacent). */
function cpuRatio(a: LoadResult[], b: LoadResult[]): number | null {
  const ratios = a.flatMap((run, i) => {
    const mine = run.cpuMsPerRequest?.server
    const theirs = b[i]?.cpuMsPerRequest?.server
    return mine === undefined || theirs === undefined || theirs === 0 ? [] : [mine / theirs]
  })
  return ratios.length === 0 ? null : round(median(ratios))
}

interface Contender {
  label: string
  server: BenchServer
}

let database: DatabaseServer | undefined
const allServers: BenchServer[] = []

/** One bounded load run, after the machine has settled, with CPU per request of server and database. */
async function measure(contender: Contender, scenario: Scenario, seconds: number, connections: number, onBad: 'fail' | 'limit' = 'fail'): Promise<LoadResult> {
  const dbPid = database?.pid()
  await settle([...allServers.map((s) => s.pid), ...(dbPid === undefined ? [] : [dbPid])])
  const serverBefore = cpuMs(contender.server.pid)
  const dbBefore = dbPid === undefined ? 0 : cpuMs(dbPid)
  const result = await runLoad(contender.server.baseUrl, scenario, seconds, Math.min(connections, scenario.connections ?? connections))
  const requests = Math.max(1, result.requests)
  result.cpuMsPerRequest = {
    server: round((cpuMs(contender.server.pid) - serverBefore) / requests),
    database: dbPid === undefined ? null : round((cpuMs(dbPid) - dbBefore) / requests),
  }
  contender.server.assertAlive()
  if (badCount(result) > 0) (onBad === 'fail' ? failures : limits).push(describeBad(contender.label, scenario.id, result))
  return result
}

function logRun(prefix: string, label: string, id: ScenarioId, r: LoadResult): void {
  const cpu = r.cpuMsPerRequest
  log(
    `${prefix} ${id.padEnd(9)} ${label.padEnd(13)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms` +
      (cpu === undefined ? '' : `  cpu/req ${cpu.server.toFixed(3)} ms${cpu.database === null ? '' : ` (db ${cpu.database.toFixed(3)} ms)`}`) +
      (badCount(r) > 0 ? `  BAD ${JSON.stringify(r.statusCodes)} errors ${r.errors}` : ''),
  )
}

/**
 * Runs each scenario on each contender, `count` times; the order within a pair alternates by round so
 * that drift (other processes, the database's caches) hits both alike. `between` runs after each round.
 */
async function rounds(
  scenarios: Scenario[],
  a: Contender,
  b: Contender,
  count: number,
  between: () => Promise<void>,
): Promise<Map<ScenarioId, { a: LoadResult[]; b: LoadResult[] }>> {
  const results = new Map<ScenarioId, { a: LoadResult[]; b: LoadResult[] }>()
  for (let round = 0; round < count; round++) {
    for (const scenario of scenarios) {
      const entry = results.get(scenario.id) ?? { a: [], b: [] }
      results.set(scenario.id, entry)
      const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
      for (const which of order) {
        const contender = which === 'a' ? a : b
        const result = await measure(contender, scenario, settings.seconds, settings.connections)
        entry[which].push(result)
        logRun(`round ${round + 1}/${count}`, contender.label, scenario.id, result)
      }
    }
    await between()
  }
  return results
}

async function warmUp(scenarios: Scenario[], contenders: Contender[], connections = settings.connections): Promise<void> {
  for (const scenario of scenarios) {
    for (const contender of contenders) await measure(contender, scenario, settings.warmupSeconds, connections)
  }
}

function machine(): BenchResults['machine'] {
  let cpuModel = cpus()[0]?.model ?? 'unknown'
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel
  } catch {
    // not Linux
  }
  return { nproc: cpus().length, cpuModel, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, kernel: release() }
}

// The service runs as `npm start` runs it: node with the start script's flags (a heap setting, see README).
const SERVICE_ARGS = [...startScriptNodeFlags(join(ROOT, 'package.json')), SERVICE_ENTRY]

function serviceEnv(uri: string, logLevel = 'info', nodeOptions = args['node-options']): Record<string, string> {
  return { MONGODB_URI: uri, LOG_LEVEL: logLevel, NODE_ENV: 'production', NODE_OPTIONS: nodeOptions }
}

function summarize(scenarios: Scenario[], results: Map<ScenarioId, { a: LoadResult[]; b: LoadResult[] }>): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const r = results.get(scenario.id) ?? { a: [], b: [] }
    const sa = aggregate(r.a)
    const sb = aggregate(r.b)
    const connections = Math.min(settings.connections, scenario.connections ?? settings.connections)
    return {
      id: scenario.id,
      title: connections === settings.connections ? scenario.title : `${scenario.title} (${connections} conn.)`,
      service: sa,
      other: sb,
      ratio: round(sb.rps === 0 ? 0 : sa.rps / sb.rps),
      cpuRatio: cpuRatio(r.a, r.b),
      rounds: r.a.map((run, i) => ({ service: run, other: r.b[i] ?? run })),
    }
  })
}

/**
 * A scratch directory, the database server (one given in MONGODB_URI, where the bench only creates and drops
 * its own bench_* databases, else a FerretDB of its own) and a client of it.
 */
async function openDatabase(): Promise<{ work: ReturnType<typeof makeWorkDir>; db: DatabaseServer; client: MongoClient }> {
  const work = makeWorkDir()
  const db = await findDatabase(['MONGODB_URI', 'ferretdb']).catch((err: unknown) => {
    work.remove()
    throw new BenchSetupError(err instanceof Error ? err.message : String(err))
  })
  database = db
  return { work, db, client: new MongoClient(db.uri) }
}

async function main(): Promise<number> {
  if (!existsSync(SERVICE_ENTRY)) throw new BenchSetupError(`${SERVICE_ENTRY} is missing: run \`npm run build\` first (npm run bench does)`)
  if (args.soak !== undefined) return soak()
  const otherEntry = args.compare === undefined ? undefined : resolve(args.compare)
  if (otherEntry !== undefined && !existsSync(otherEntry)) throw new BenchSetupError(`--compare ${otherEntry}: no such file`)

  const { work, db, client } = await openDatabase()
  const dbNames = {
    service: 'bench_service',
    other: otherEntry === undefined ? 'bench_ceiling' : 'bench_baseline',
    small: 'bench_growth_small',
    large: 'bench_growth_large',
  }
  const startServer = async (label: string, entry: string[], env: Record<string, string>): Promise<BenchServer> => {
    const server = await BenchServer.start(label, entry, env, work.path)
    allServers.push(server)
    server.startSampling()
    return server
  }
  const startups: number[] = []
  const stopServer = async (server: BenchServer): Promise<void> => {
    const code = await server.stop()
    allServers.splice(allServers.indexOf(server), 1)
    if (server.label.startsWith('service') && code !== 0) {
      failures.push(`${server.label} exited with code ${code ?? 'null (killed)'} after SIGTERM; the service promises 0`)
    }
  }
  // The POSTs' items go after each round, so reads always see the same preloaded collection. Dropping and
  // preloading again takes a fraction of a second; FerretDB deletes by regex slowly and refuses to delete
  // more than ~32 000 documents in one call.
  const resetCollections = async (): Promise<void> => {
    for (const name of [dbNames.service, dbNames.other]) {
      await client.db(name).collection('items').drop()
      await preload(client, name, 0, settings.preloaded)
    }
  }

  try {
    log(`database: ${db.description}`)
    for (const name of Object.values(dbNames)) await client.db(name).dropDatabase()
    for (const name of [dbNames.service, dbNames.other]) await preload(client, name, 0, settings.preloaded)

    const service = await startServer('service', SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbNames.service)))
    startups.push(service.startupMs)
    const other = await startServer(
      otherEntry === undefined ? 'ceiling' : 'baseline',
      otherEntry === undefined
        ? ['--import', 'tsx', join(ROOT, 'bench', 'ceiling.ts')]
        : [...(args['other-start-flags']?.split(/\s+/).filter((flag) => flag !== '') ?? SERVICE_ARGS.slice(0, -1)), otherEntry],
      serviceEnv(withDatabase(db.uri, dbNames.other), 'info', otherEntry === undefined ? '' : args['other-node-options']),
    )
    log(`service on ${service.baseUrl} (pid ${service.pid}, ready in ${service.startupMs.toFixed(0)} ms), ${other.label} on ${other.baseUrl} (pid ${other.pid})`)

    const only = args.only?.split(',')
    // Reads first, writes last in each round; the writes' items are removed before the next round.
    const scenarios = [getOne(settings.preloaded), list, index, postJson, postForm].filter((s) => only === undefined || only.includes(s.id))
    const a = { label: 'service', server: service }
    const b = { label: other.label, server: other }
    log(`warm-up: ${settings.warmupSeconds} s per scenario and server`)
    await warmUp(scenarios, [a, b])
    await resetCollections()
    service.drainLog()
    const mainResults = await rounds(scenarios, a, b, settings.rounds, resetCollections)
    const serviceLog = service.drainLog()
    for (const line of serviceLog.errorLines) failures.push(`service logged an error: ${line.slice(0, 300)}`)
    const serviceRequests = [...mainResults.values()].flatMap((r) => r.a).reduce((sum, r) => sum + r.requests, 0)
    const summaries = summarize(scenarios, mainResults)

    let logging: BenchResults['logging'] = null
    let growth: BenchResults['growth'] = null
    let startupMs: BenchResults['startupMs'] = null
    if (mode !== 'compare' && only === undefined) {
      // Logging: the same build at LOG_LEVEL=warn (no per-request lines) on the same database.
      const quiet = await startServer('service-warn', SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbNames.service), 'warn'))
      startups.push(quiet.startupMs)
      const logScenarios = [getOne(settings.preloaded), postJson]
      const q = { label: 'service-warn', server: quiet }
      await warmUp(logScenarios, [q])
      const logResults = await rounds(logScenarios, a, q, settings.rounds, resetCollections)
      logging = summarize(logScenarios, logResults).map((s) => ({ scenario: s.id, info: s.service, warn: s.other, infoOverWarn: s.ratio }))
      await stopServer(quiet)
      service.drainLog()

      // Startup: a few more cold starts of the service against its database.
      for (let i = 0; i < settings.extraStarts; i++) {
        const dbPid = db.pid()
        await settle([...allServers.map((s) => s.pid), ...(dbPid === undefined ? [] : [dbPid])])
        const s = await startServer(`service-start-${i + 1}`, SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbNames.service)))
        startups.push(s.startupMs)
        await stopServer(s)
      }
      startupMs = {
        samples: startups.map((v) => round(v, 1)),
        median: round(median(startups), 1),
        min: round(Math.min(...startups), 1),
        max: round(Math.max(...startups), 1),
      }

      // Growth: two services side by side on a small and a large collection, alternating, one connection.
      const { small, large } = settings.growth
      log(`growth: preloading ${small} and ${large} items`)
      await preload(client, dbNames.small, 0, small)
      const preloadMs = await preload(client, dbNames.large, 0, large)
      log(`preloaded ${large} items in ${(preloadMs / 1000).toFixed(1)} s`)
      const cS = { label: 'service-small', server: await startServer('service-small', SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbNames.small))) }
      const cL = { label: 'service-large', server: await startServer('service-large', SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbNames.large))) }
      startups.push(cS.server.startupMs, cL.server.startupMs)
      const forSize = (count: number): Scenario[] => [getOne(count), list, listDeep(count)]
      await warmUp([getOne(small)], [cS], settings.growthConnections)
      await warmUp([getOne(large)], [cL], settings.growthConnections)
      const growthResults = new Map<ScenarioId, { a: LoadResult[]; b: LoadResult[] }>()
      // The list scenarios last: on a database that cannot use an index for the sort they are slow.
      for (const [i, id] of (['get-one', 'list', 'list-deep'] as const).entries()) {
        const entry = { a: [] as LoadResult[], b: [] as LoadResult[] }
        growthResults.set(id, entry)
        for (let r = 0; r < settings.rounds; r++) {
          const pair: [Contender, Scenario, 'a' | 'b'][] = [
            [cS, forSize(small)[i] as Scenario, 'a'],
            [cL, forSize(large)[i] as Scenario, 'b'],
          ]
          if (r % 2 === 1) pair.reverse()
          for (const [contender, scenario, slot] of pair) {
            // A list on a large collection may pass the service's database deadline (503): a limit, not a crash.
            const result = await measure(contender, scenario, settings.seconds, settings.growthConnections, id === 'get-one' ? 'fail' : 'limit')
            entry[slot].push(result)
            logRun(`growth ${r + 1}/${settings.rounds}`, contender.label, id, result)
          }
        }
      }
      const rows: GrowthRow[] = (['get-one', 'list', 'list-deep'] as const).map((id, i) => {
        const r = growthResults.get(id) ?? { a: [], b: [] }
        const sA = aggregate(r.a)
        const lA = aggregate(r.b)
        return { scenario: id, title: forSize(large)[i]?.title ?? id, small: sA, large: lA, p50Ratio: round(sA.p50 === 0 ? 0 : lA.p50 / sA.p50) }
      })
      const first = rows.find((row) => row.scenario === 'list')
      const deep = rows.find((row) => row.scenario === 'list-deep')
      growth = { rows, deepOverFirst: round(first === undefined || deep === undefined || first.large.p50 === 0 ? 0 : deep.large.p50 / first.large.p50) }
      for (const s of [cS.server, cL.server]) {
        for (const line of s.drainLog().errorLines) failures.push(`${s.label} logged an error: ${line.slice(0, 300)}`)
        await stopServer(s)
      }
    }

    service.stopSampling()
    other.stopSampling()
    const memory = {
      servicePeakRssMB: round(service.peakRssKb / 1024, 1),
      serviceHwmMB: round(service.hwmKb() / 1024, 1),
      otherPeakRssMB: round(other.peakRssKb / 1024, 1),
    }
    await stopServer(service)
    await stopServer(other)

    const targets: Target[] = []
    targets.push({ name: 'errors, timeouts, non-2xx, crashes', want: '0', got: String(failures.length), met: failures.length === 0, enforced: true })
    for (const [id, want] of Object.entries(CPU_TARGETS) as [ScenarioId, number][]) {
      const s = summaries.find((x) => x.id === id)
      if (s !== undefined && s.cpuRatio !== null) {
        targets.push({ name: `${s.title}: CPU/req vs ${b.label}`, want: `<= x${want.toFixed(2)}`, got: `x${s.cpuRatio.toFixed(3)}`, met: s.cpuRatio <= want, enforced: args.strict })
      }
    }
    const peakMB = Math.max(memory.servicePeakRssMB, memory.serviceHwmMB)
    targets.push({ name: 'service peak RSS under load', want: `<= ${TARGETS.rssMB} MB`, got: `${peakMB.toFixed(1)} MB`, met: peakMB <= TARGETS.rssMB, enforced: args.strict })
    if (growth !== null) {
      const getRow = growth.rows.find((r) => r.scenario === 'get-one')
      if (getRow !== undefined) {
        targets.push({
          name: `GET one: p50 at ${settings.growth.large} vs ${settings.growth.small} items`,
          want: `<= x${TARGETS.growth.toFixed(2)}`,
          got: `x${getRow.p50Ratio.toFixed(2)}`,
          met: getRow.p50Ratio <= TARGETS.growth,
          enforced: args.strict,
        })
      }
      const listRow = growth.rows.find((r) => r.scenario === 'list')
      if (listRow !== undefined) {
        targets.push({
          name: `list first page: p50 at ${settings.growth.large} vs ${settings.growth.small} items`,
          want: `<= x${TARGETS.growth.toFixed(2)}`,
          got: `x${listRow.p50Ratio.toFixed(2)}`,
          met: listRow.p50Ratio <= TARGETS.growth,
          enforced: args.strict,
        })
      }
      targets.push({
        name: `list: deep page vs first page (p50)`,
        want: `<= x${TARGETS.growth.toFixed(2)}`,
        got: `x${growth.deepOverFirst.toFixed(2)}`,
        met: growth.deepOverFirst <= TARGETS.growth,
        enforced: args.strict,
      })
    }

    const results: BenchResults = {
      mode,
      date: new Date().toISOString(),
      machine: machine(),
      database: db.description,
      settings: {
        connections: settings.connections,
        seconds: settings.seconds,
        warmupSeconds: settings.warmupSeconds,
        rounds: settings.rounds,
        preloaded: settings.preloaded,
        growth: growth === null ? null : { ...settings.growth, connections: settings.growthConnections },
      },
      comparison: { service: 'service', other: b.label, scenarios: summaries },
      logging,
      logLinesPerRequest: serviceRequests === 0 ? null : round(serviceLog.lines / serviceRequests),
      growth,
      startupMs,
      memory,
      failures,
      limits,
      targets,
    }
    const outDir = join(ROOT, 'bench', 'results')
    mkdirSync(outDir, { recursive: true })
    const custom = only !== undefined || args.rounds !== undefined || args.seconds !== undefined
    const base = mode === 'compare' ? 'compare' : mode === 'full' && !custom ? 'latest' : 'quick'
    writeFileSync(join(outDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`)
    writeFileSync(join(outDir, `${base}.svg`), renderSvg(results))
    process.stdout.write(`\n${formatTable(results)}\n\nwritten: bench/results/${base}.json, bench/results/${base}.svg\n`)
    return targets.some((t) => t.enforced && !t.met) ? 1 : 0
  } finally {
    for (const server of [...allServers]) await server.stop()
    if (process.env.MONGODB_URI !== undefined && process.env.MONGODB_URI !== '') {
      // A server we were given: leave it as we found it.
      for (const name of Object.values(dbNames)) await client.db(name).dropDatabase().catch(() => undefined)
    }
    await client.close()
    await db.dispose()
    work.remove()
  }
}

/** `--soak <minutes>`: the service alone under a steady mixed load; passes when it stays flat and answers as expected. */
async function soak(): Promise<number> {
  const minutes = Number(args.soak)
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) throw new BenchSetupError(`--soak takes whole minutes from 1 to 240, got "${args.soak}"`)
  const rate = Number(args['soak-rate'])
  if (!Number.isInteger(rate) || rate < 10 || rate > 5_000) throw new BenchSetupError(`--soak-rate takes requests per second from 10 to 5000, got "${args['soak-rate']}"`)
  const soakSettings: SoakSettings = { minutes, rate, connections: settings.connections, preloaded: settings.preloaded }
  const { work, db, client } = await openDatabase()
  const dbName = 'bench_soak'
  try {
    log(`database: ${db.description}`)
    await client.db(dbName).dropDatabase()
    await preload(client, dbName, 0, soakSettings.preloaded)
    const service = await BenchServer.start('service-soak', SERVICE_ARGS, serviceEnv(withDatabase(db.uri, dbName)), work.path)
    allServers.push(service)
    log(
      `soak: ${minutes} min at ${soakSettings.rate} req/s over ${soakSettings.connections} connections, intervals of ${soakIntervalSeconds(minutes)} s ` +
        `(service pid ${service.pid}, node ${SERVICE_ARGS.slice(0, -1).join(' ')})`,
    )
    // The service's log is emptied every interval so a long run does not fill the disk; error lines are kept.
    const errorLines: string[] = []
    const intervals = await runSoak(
      {
        baseUrl: service.baseUrl,
        rssKb: () => procStatusKb(service.pid, 'VmRSS'),
        assertAlive: () => {
          service.assertAlive()
          errorLines.push(...service.drainLog().errorLines)
        },
      },
      client,
      dbName,
      soakSettings,
      log,
    )
    const verdict = judgeSoak(intervals, soakIntervalSeconds(minutes) === 60)
    for (const line of errorLines.slice(0, 5)) verdict.reasons.push(`service logged an error: ${line.slice(0, 300)}`)
    const code = await service.stop()
    allServers.splice(allServers.indexOf(service), 1)
    if (code !== 0) verdict.reasons.push(`service exited with code ${code ?? 'null (killed)'} after SIGTERM; the service promises 0`)
    const passed = verdict.reasons.length === 0
    const outDir = join(ROOT, 'bench', 'results')
    mkdirSync(outDir, { recursive: true })
    const file = `soak-${minutes}min.json`
    writeFileSync(
      join(outDir, file),
      `${JSON.stringify({ mode: 'soak', date: new Date().toISOString(), machine: machine(), database: db.description, node: SERVICE_ARGS.slice(0, -1), settings: soakSettings, intervals, verdict: { ...verdict, passed } }, null, 2)}\n`,
    )
    process.stdout.write(`\n${formatSoak(intervals, { ...verdict, passed }, soakSettings)}\n\nwritten: bench/results/${file}\n`)
    return passed ? 0 : 1
  } finally {
    for (const server of [...allServers]) await server.stop()
    if (process.env.MONGODB_URI !== undefined && process.env.MONGODB_URI !== '') await client.db(dbName).dropDatabase().catch(() => undefined)
    await client.close()
    await db.dispose()
    work.remove()
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping the servers it started`)
    stopEverythingNow()
    process.exit(130)
  })
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof BenchSetupError) console.error(`bench: ${err.message}`)
    else console.error('bench failed:', err)
    process.exitCode = 1
  },
)
