// `npm run bench` (full) and `npm run bench:quick` (CI): the built service under load beside what a user
// would write instead (Express + Mongoose, a plain Fastify app) and a bare node:http + driver ceiling, on the
// same database server in alternating rounds; then what each per-request feature costs, how cost grows with
// the collection, startup time and memory. Exits non-zero only on errors, non-2xx answers or crashes; speed
// targets are printed, not enforced (pass --strict to enforce them too). A full run writes its figures into
// docs/performance.md (between the bench markers) as well as bench/results/.
// `npm run bench -- --compare <other build's server.js>`: the service beside another build of it, side by side.
// `npm run bench -- --soak <minutes>`: a steady mixed load on the service alone (bench/lib/soak.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MongoClient } from 'mongodb'
import { hashPassword } from '../src/auth/passwords.js'
import { csrfToken, newKey, Visitor } from '../harness/access.js'
import { findDatabase, type DatabaseServer } from '../harness/database.js'
import { FORM_TYPE, send } from '../harness/http.js'
import { withDatabase } from '../harness/mongo-uri.js'
import { stopEverythingNow } from '../harness/process.js'
import { COST_BASE_ENV, COST_ROWS, costVariantLabel, type CostRow } from './lib/costs.js'
import { BENCH_API_KEY, getCold, getOne, index, list, listDeep, postForm, postJson, runLoad, type FormAuth, type LoadResult, type Scenario, type ScenarioId } from './lib/load.js'
import { BenchServer, BenchSetupError, cpuMs, makeWorkDir, rssKb, settle, startScriptNodeFlags, stopUsageSampling } from './lib/processes.js'
import { formatSoak, formatTable, toMarkdown, writeDocsSection, type Aggregate, type BenchResults, type CostResult, type GrowthRow, type ScenarioSummary, type Target } from './lib/report.js'
import { FIND_SIZES, FIND_SIZES_QUICK, findRow, findScenarios, formatFind, type FindRow } from './lib/find.js'
import { preload } from './lib/seed.js'
import { judgeSoak, runSoak, soakIntervalSeconds, type SoakSettings } from './lib/soak.js'
import { judge, judgedNote, median, round } from './lib/stats.js'
import { formatTransfer, runTransferBench } from './transfer.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SERVICE_ENTRY = join(ROOT, 'dist', 'server.js')
const SERVERS = join(ROOT, 'bench', 'servers')

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    // A/B: run another build of the service (its server.js) beside this one, instead of the references.
    compare: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    // Default: 32, enough that a server, not the database, is what limits throughput (issue 26); the soak,
    // paced at a fixed rate, 10.
    connections: { type: 'string' },
    only: { type: 'string' },
    // Skip the cost table (it is most of a full run's time).
    'no-costs': { type: 'boolean', default: false },
    // Extra node flags for the service's processes, and (compare mode) for the other build's.
    'node-options': { type: 'string', default: '' },
    'other-node-options': { type: 'string', default: '' },
    // Compare mode: node flags in place of the start script's for the other build, e.g. '' to price them.
    'other-start-flags': { type: 'string' },
    soak: { type: 'string' },
    // The import and export scenario alone (bench/transfer.ts); a full run ends with it too.
    transfer: { type: 'boolean', default: false },
    'transfer-rows': { type: 'string' },
    // Only the find rows (bench/lib/find.ts), at these collection sizes.
    find: { type: 'boolean', default: false },
    'find-sizes': { type: 'string' },
    'soak-rate': { type: 'string', default: '300' },
  },
})

const quick = args.quick
const mode: BenchResults['mode'] = args.compare !== undefined ? 'compare' : quick ? 'quick' : 'full'
const only = args.only?.split(',')
const settings = {
  connections: Number(args.connections ?? (args.soak === undefined ? 32 : 10)),
  seconds: Number(args.seconds ?? (quick ? 1.5 : 5)),
  warmupSeconds: quick ? 0.5 : 2,
  rounds: Number(args.rounds ?? (quick ? 1 : 3)),
  // The cost table runs many servers; shorter runs keep a full bench near a quarter of an hour.
  costSeconds: Number(args.seconds ?? (quick ? 1 : 3)),
  // Few enough that FerretDB's lookups (a scan of the collection, see docs/data.md) do not bound the reads.
  preloaded: 200,
  growth: quick ? { small: 1_000, large: 10_000 } : { small: 1_000, large: 100_000 },
  // Latency growth is measured one request at a time, so queueing does not hide it.
  growthConnections: 1,
  extraStarts: quick ? 1 : 5,
}
// CPU per request of the service over a reference's (median of the rounds' ratios), at most (issue 26).
const CPU_TARGETS: { scenario: ScenarioId; reference: string; want: number }[] = [
  { scenario: 'get-one', reference: 'express', want: 0.5 },
  { scenario: 'get-cold', reference: 'express', want: 1.0 },
  { scenario: 'post-json', reference: 'express', want: 1.0 },
  { scenario: 'post-json', reference: 'express-prod', want: 0.8 },
  { scenario: 'post-form', reference: 'express', want: 1.1 },
]
const TARGETS = { rssMB: 150, growth: 1.2 }
// A create limit the bench never reaches, so its check runs on every create as it does under `npm start`.
const BENCH_CREATE_LIMIT = '1000000'
// The cost table runs the service with everything on once per this many variants.
const COST_GROUP = 2

const log = (message: string): void => {
  process.stderr.write(`[bench +${(performance.now() / 1000).toFixed(0)}s] ${message}\n`)
}

const failures: string[] = []
/** Non-2xx answers that come from the database's own limits, reported apart from failures. */
const limits: string[] = []

interface Contender {
  label: string
  server: BenchServer
  /** The column its figures go under: a stand-in (the service with its cache off) reports as the service. */
  reportAs?: string
  /** The scenarios it runs; all when absent. */
  only?: ScenarioId[]
  /** Scenarios a stand-in runs in its place. */
  skip?: ScenarioId[]
  /** For a service with writes closed: a signed-in editor, for the form creates. */
  auth?: FormAuth
}

const runs = (contender: Contender, id: ScenarioId): boolean =>
  (contender.only === undefined || contender.only.includes(id)) && !(contender.skip ?? []).includes(id)

/** Results by scenario, then by contender label, one entry per round. */
type RoundResults = Map<ScenarioId, Map<string, LoadResult[]>>

interface Bench {
  work: ReturnType<typeof makeWorkDir>
  db: DatabaseServer
  client: MongoClient
  servers: BenchServer[]
  startups: number[]
}

// ---- measuring ----

/** Answers that are not a success: 2xx, or the form's 303 to the stored item's page. */
function unexpectedAnswers(result: LoadResult): number {
  return Object.entries(result.statusCodes)
    .filter(([code]) => !code.startsWith('2') && code !== '303')
    .reduce((sum, [, count]) => sum + count, 0)
}

function badCount(result: LoadResult): number {
  return unexpectedAnswers(result) + result.errors + result.timeouts
}

/** One bounded load run, after the machine has settled, with CPU per request of server and database. */
async function measure(bench: Bench, contender: Contender, scenario: Scenario, seconds: number, connections: number, onBad: 'fail' | 'limit' = 'fail'): Promise<LoadResult> {
  const dbPid = bench.db.pid()
  await settle([...bench.servers.map((s) => s.pid), ...(dbPid === undefined ? [] : [dbPid])])
  const [serverBefore, dbBefore] = await Promise.all([cpuMs(contender.server.pid), dbPid === undefined ? 0 : cpuMs(dbPid)])
  const result = await runLoad(contender.server.baseUrl, scenario, seconds, Math.min(connections, scenario.connections ?? connections), contender.auth)
  const [serverAfter, dbAfter] = await Promise.all([cpuMs(contender.server.pid), dbPid === undefined ? 0 : cpuMs(dbPid)])
  const requests = Math.max(1, result.requests)
  result.cpuMsPerRequest = { server: round((serverAfter - serverBefore) / requests), database: dbPid === undefined ? null : round((dbAfter - dbBefore) / requests) }
  contender.server.assertAlive()
  if (badCount(result) > 0) {
    const what = `${contender.label} ${scenario.id}: ${result.errors} errors, ${result.timeouts} timeouts, ${unexpectedAnswers(result)} unexpected answers (status codes ${JSON.stringify(result.statusCodes)})`
    ;(onBad === 'fail' ? failures : limits).push(what)
  }
  return result
}

function logRun(prefix: string, label: string, id: ScenarioId, r: LoadResult): void {
  const cpu = r.cpuMsPerRequest
  log(
    `${prefix} ${id.padEnd(9)} ${label.padEnd(24)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms` +
      (cpu === undefined ? '' : `  cpu/req ${cpu.server.toFixed(3)} ms${cpu.database === null ? '' : ` (db ${cpu.database.toFixed(3)} ms)`}`) +
      (badCount(r) > 0 ? `  BAD ${JSON.stringify(r.statusCodes)} errors ${r.errors}` : ''),
  )
}

/**
 * Runs each scenario on each contender, `count` times; the contenders' order turns by one each round so that
 * drift (other processes, the database's caches) hits all alike. `between` runs after each round.
 */
async function rounds(bench: Bench, scenarios: Scenario[], contenders: Contender[], count: number, seconds: number, between: () => Promise<void>): Promise<{ results: RoundResults; served: Map<string, number> }> {
  const results: RoundResults = new Map(
    scenarios.map((s) => [s.id, new Map(contenders.filter((c) => runs(c, s.id)).map((c) => [c.reportAs ?? c.label, [] as LoadResult[]]))]),
  )
  // Requests each process answered (a stand-in's apart), for the log lines per request.
  const served = new Map<string, number>()
  for (let r = 0; r < count; r++) {
    const order = [...contenders.slice(r % contenders.length), ...contenders.slice(0, r % contenders.length)]
    for (const scenario of scenarios) {
      for (const contender of order.filter((c) => runs(c, scenario.id))) {
        const result = await measure(bench, contender, scenario, seconds, settings.connections)
        results.get(scenario.id)?.get(contender.reportAs ?? contender.label)?.push(result)
        served.set(contender.label, (served.get(contender.label) ?? 0) + result.requests)
        logRun(`round ${r + 1}/${count}`, contender.label, scenario.id, result)
      }
    }
    await between()
  }
  return { results, served }
}

async function warmUp(bench: Bench, scenarios: Scenario[], contenders: Contender[], connections = settings.connections): Promise<void> {
  for (const scenario of scenarios) {
    for (const contender of contenders.filter((c) => runs(c, scenario.id))) await measure(bench, contender, scenario, settings.warmupSeconds, connections)
  }
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

/** Per round: the pair's figure, from adjacent runs (same round), for rounds where both were measured. */
function perRound(a: LoadResult[], b: LoadResult[], pair: (mine: number, theirs: number) => number | null): number[] {
  return a.flatMap((run, i) => {
    const mine = run.cpuMsPerRequest?.server
    const theirs = b[i]?.cpuMsPerRequest?.server
    const value = mine === undefined || theirs === undefined ? null : pair(mine, theirs)
    return value === null ? [] : [value]
  })
}

const cpuRatios = (a: LoadResult[], b: LoadResult[]): number[] => perRound(a, b, (mine, theirs) => (theirs === 0 ? null : mine / theirs))

function summarize(scenarios: Scenario[], results: RoundResults, first: string): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const byLabel = results.get(scenario.id) ?? new Map<string, LoadResult[]>()
    const mine = byLabel.get(first) ?? []
    const connections = Math.min(settings.connections, scenario.connections ?? settings.connections)
    return {
      id: scenario.id,
      title: connections === settings.connections ? scenario.title : `${scenario.title} (${connections} conn.)`,
      servers: [...byLabel.entries()].map(([label, runs]) => ({
        label,
        ...aggregate(runs),
        cpuRatio: label === first || runs.length === 0 ? null : judge(cpuRatios(mine, runs), 1),
      })),
      rounds: Object.fromEntries(byLabel),
    }
  })
}

// ---- servers ----

// The service runs as `npm start` runs it: node with the start script's flags (a heap setting, see docs).
const START_FLAGS = startScriptNodeFlags(join(ROOT, 'package.json'))

function serviceEnv(uri: string, extra: Record<string, string> = {}): Record<string, string> {
  return { MONGODB_URI: uri, LOG_LEVEL: 'info', NODE_ENV: 'production', NODE_OPTIONS: args['node-options'], RATE_LIMIT_CREATES: BENCH_CREATE_LIMIT, ...extra }
}

async function startServer(bench: Bench, label: string, nodeArgs: string[], env: Record<string, string>): Promise<BenchServer> {
  const server = await BenchServer.start(label, nodeArgs, env, bench.work.path)
  bench.servers.push(server)
  server.startSampling()
  return server
}

async function stopServer(bench: Bench, server: BenchServer): Promise<void> {
  for (const line of server.drainLog().errorLines) failures.push(`${server.label} logged an error: ${line.slice(0, 300)}`)
  const code = await server.stop()
  bench.servers.splice(bench.servers.indexOf(server), 1)
  if (server.label.startsWith('service') && code !== 0) failures.push(`${server.label} exited with code ${code ?? 'null (killed)'} after SIGTERM; the service promises 0`)
}

/** A file under bench/servers/ run through tsx (the references and the ceiling are TypeScript, not built). */
const tsEntry = (file: string): string[] => ['--import', 'tsx', join(SERVERS, file)]

type ContenderSpec = Omit<Contender, 'server' | 'auth'> & {
  nodeArgs: string[]
  env?: Record<string, string>
  /** A build of the service, run with writes closed as the deployment advice has it (API key, editors). */
  service?: boolean
}

/**
 * Each contender of the main comparison. A build of the service runs twice: as it is, and with its read cache
 * off as the stand-in for the cold reads (every read a first read).
 */
function mainContenders(): ContenderSpec[] {
  const builds: ContenderSpec[] = [{ label: 'service', nodeArgs: [...START_FLAGS, SERVICE_ENTRY], service: true }]
  if (args.compare !== undefined) {
    const other = resolve(args.compare)
    if (!existsSync(other)) throw new BenchSetupError(`--compare ${other}: no such file`)
    const flags = args['other-start-flags']?.split(/\s+/).filter((flag) => flag !== '') ?? START_FLAGS
    builds.push({ label: 'baseline', nodeArgs: [...flags, other], env: { NODE_OPTIONS: args['other-node-options'] }, service: true })
  }
  const withColdStandIns = builds.flatMap((build): ContenderSpec[] => [
    { ...build, skip: ['get-cold'] },
    { ...build, label: `${build.label}-cold`, reportAs: build.label, only: ['get-cold'], env: { ...build.env, READ_CACHE_MB: '0' } },
  ])
  if (args.compare !== undefined) return withColdStandIns
  return [
    ...withColdStandIns,
    { label: 'express', nodeArgs: tsEntry('express.ts') },
    { label: 'express-prod', nodeArgs: tsEntry('express-production.ts') },
    { label: 'fastify', nodeArgs: tsEntry('fastify.ts') },
    { label: 'ceiling', nodeArgs: tsEntry('ceiling.ts') },
  ]
}

const EDITOR = 'bench-editor'

/**
 * Writes closed as docs/security.md advises: API_KEYS for the JSON API (every contender is given it; only the
 * service and express-prod check it) and, for the service, an editor who signs in to use the form.
 */
async function closedWrites(bench: Bench): Promise<{ env: Record<string, string>; serviceEnv: Record<string, string>; signIn: (server: BenchServer) => Promise<FormAuth> }> {
  const password = newKey()
  const editorsFile = join(bench.work.path, 'editors')
  // The lowest cost the editors file accepts: the bench signs in once per server.
  writeFileSync(editorsFile, `${EDITOR}:${await hashPassword(password, { ln: 14, r: 8, p: 1 })}\n`)
  const signIn = async (server: BenchServer): Promise<FormAuth> => {
    const visitor = new Visitor(server.baseUrl)
    const signedIn = await visitor.signIn(EDITOR, password)
    const form = await visitor.get('/')
    const cookie = visitor.cookie
    if (signedIn.status !== 303 || form.status !== 200 || cookie === undefined) throw new BenchSetupError(`${server.label}: the bench's editor could not sign in (${signedIn.status}, then ${form.status})`)
    const auth = { cookie, csrfToken: csrfToken(form.text) }
    // One form create as the load sends it must store (303 to the item's page), not be sent to sign in.
    const probe = await send(server.baseUrl, { method: 'POST', path: '/items/new/form/', headers: { ...FORM_TYPE, cookie }, body: `name=bench-probe&price=1&_csrf=${encodeURIComponent(auth.csrfToken)}` })
    if (probe.status !== 303 || probe.headers.location !== '/catalogue/bench-probe/') throw new BenchSetupError(`${server.label}: a signed-in form create answered ${probe.status} to ${probe.headers.location ?? '(no location)'}`)
    return auth
  }
  const env = { API_KEYS: `bench=${BENCH_API_KEY}` }
  return { env, serviceEnv: { ...env, EDITORS_FILE: editorsFile, SESSION_SECRET: newKey() }, signIn }
}

const dbName = (label: string): string => `bench_${label.replace(/[^a-z0-9]/gi, '_')}`

// ---- steps ----

/**
 * A scratch directory, the database server (one given in MONGODB_URI, where the bench only creates and drops
 * its own bench_* databases, else a FerretDB of its own) and a client of it.
 */
async function openBench(): Promise<Bench> {
  const work = makeWorkDir()
  const db = await findDatabase(['MONGODB_URI', 'ferretdb']).catch((err: unknown) => {
    work.remove()
    throw new BenchSetupError(err instanceof Error ? err.message : String(err))
  })
  log(`database: ${db.description}`)
  return { work, db, client: new MongoClient(db.uri), servers: [], startups: [] }
}

async function closeBench(bench: Bench, databases: string[]): Promise<void> {
  for (const server of [...bench.servers]) await server.stop()
  // A server we were given: leave it as we found it.
  if (process.env.MONGODB_URI !== undefined && process.env.MONGODB_URI !== '') {
    for (const name of databases) await bench.client.db(name).dropDatabase().catch(() => undefined)
  }
  stopUsageSampling()
  await bench.client.close()
  await bench.db.dispose()
  bench.work.remove()
}

/** Fresh databases of `settings.preloaded` items; the POSTs' items go after each round, so reads see the same collection. */
async function resetDatabases(bench: Bench, names: string[]): Promise<void> {
  for (const name of names) {
    // Dropping and preloading again takes a fraction of a second; FerretDB deletes by regex slowly.
    await bench.client.db(name).dropDatabase()
    await preload(bench.client, name, 0, settings.preloaded)
  }
}

/** The main comparison: every contender on every scenario, alternating, medians of the rounds. */
async function compareServers(bench: Bench): Promise<{ summaries: ScenarioSummary[]; contenders: Contender[]; logLinesPerRequest: number | null }> {
  const specs = mainContenders()
  const names = specs.map((s) => dbName(s.label))
  await resetDatabases(bench, names)
  const closed = await closedWrites(bench)
  const contenders: Contender[] = []
  for (const { nodeArgs, env, service, ...spec } of specs) {
    const server = await startServer(bench, spec.label, nodeArgs, serviceEnv(withDatabase(bench.db.uri, dbName(spec.label)), { ...(service === true ? closed.serviceEnv : closed.env), ...env }))
    if (spec.label === 'service') bench.startups.push(server.startupMs)
    contenders.push({ ...spec, server, ...(service === true ? { auth: await closed.signIn(server) } : {}) })
    log(`${spec.label} on ${server.baseUrl} (pid ${server.pid}, ready in ${server.startupMs.toFixed(0)} ms)`)
  }
  // Reads first, writes last in each round; the writes' items are removed before the next round.
  const scenarios = [getOne(settings.preloaded), getCold(settings.preloaded), list, index, postJson, postForm].filter((s) => only === undefined || only.includes(s.id))
  log(`warm-up: ${settings.warmupSeconds} s per scenario and server`)
  await warmUp(bench, scenarios, contenders)
  await resetDatabases(bench, names)
  const service = contenders[0]?.server
  service?.drainLog()
  const { results, served } = await rounds(bench, scenarios, contenders, settings.rounds, settings.seconds, () => resetDatabases(bench, names))
  const serviceLog = service?.drainLog() ?? { lines: 0, errorLines: [] }
  for (const line of serviceLog.errorLines) failures.push(`service logged an error: ${line.slice(0, 300)}`)
  const serviceRequests = served.get('service') ?? 0
  return { summaries: summarize(scenarios, results, 'service'), contenders, logLinesPerRequest: serviceRequests === 0 ? null : round(serviceLog.lines / serviceRequests) }
}

/**
 * The cost table: the service (bench/servers/service.ts, the built app with nothing left out) beside one
 * server per row with that row's feature off, alternating; a feature's cost is the CPU per request it adds.
 */
async function priceFeatures(bench: Bench): Promise<CostResult[]> {
  const scenarios = [getOne(settings.preloaded), postJson]
  const rows: (CostRow | null)[] = [null, ...COST_ROWS]
  const names = rows.map((row) => dbName(costVariantLabel(row)))
  await resetDatabases(bench, names)
  const contenders: Contender[] = []
  for (const row of rows) {
    const label = costVariantLabel(row)
    const env = serviceEnv(withDatabase(bench.db.uri, dbName(label)), { BENCH_WITHOUT: row?.without ?? '', ...COST_BASE_ENV, ...row?.env })
    const server = await startServer(bench, label, [...(row?.nodeFlags ?? START_FLAGS), ...tsEntry('service.ts')], env)
    contenders.push({ label, server })
  }
  log(`cost table: ${contenders.length} servers, ${settings.costSeconds} s per run`)
  await warmUp(bench, scenarios, contenders)
  await resetDatabases(bench, names)
  const [base, ...variants] = contenders
  if (base === undefined) return []
  // Each variant is paired with a run of the base next to it in time (one base run per COST_GROUP variants,
  // before them in even rounds and after them in odd ones), so drift on a shared machine hits both alike.
  const paired = new Map<string, Map<ScenarioId, { base: LoadResult[]; without: LoadResult[] }>>(
    variants.map((v) => [v.label, new Map(scenarios.map((sc) => [sc.id, { base: [], without: [] }]))]),
  )
  for (let r = 0; r < settings.rounds; r++) {
    for (const scenario of scenarios) {
      for (let g = 0; g < variants.length; g += COST_GROUP) {
        const group = variants.slice(g, g + COST_GROUP)
        const order = r % 2 === 0 ? [base, ...group] : [...group, base]
        const runs = new Map<string, LoadResult>()
        for (const contender of order) {
          const result = await measure(bench, contender, scenario, settings.costSeconds, settings.connections)
          runs.set(contender.label, result)
          logRun(`cost ${r + 1}/${settings.rounds}`, contender.label, scenario.id, result)
        }
        for (const v of group) {
          const entry = paired.get(v.label)?.get(scenario.id)
          const b = runs.get(base.label)
          const w = runs.get(v.label)
          if (entry !== undefined && b !== undefined && w !== undefined) {
            entry.base.push(b)
            entry.without.push(w)
          }
        }
      }
    }
    await resetDatabases(bench, names)
  }
  const costs = COST_ROWS.map((row) => {
    const label = costVariantLabel(row)
    const server = contenders.find((c) => c.label === label)?.server
    return {
      feature: row.feature,
      how: row.how,
      peakRssMB: server === undefined ? null : round(Math.max(server.peakRssKb, server.hwmKb()) / 1024, 1),
      scenarios: scenarios.map((sc) => {
        const pair = paired.get(label)?.get(sc.id) ?? { base: [], without: [] }
        const diffs = perRound(pair.base, pair.without, (mine, theirs) => mine - theirs)
        return { scenario: sc.id, withMs: aggregate(pair.base).cpuServer, withoutMs: aggregate(pair.without).cpuServer, costMs: diffs.length === 0 ? null : judge(diffs, 0) }
      }),
    }
  })
  for (const c of contenders) await stopServer(bench, c.server)
  return costs
}

/** Startup: a few more cold starts of the service against its database. */
async function measureStartups(bench: Bench): Promise<BenchResults['startupMs']> {
  for (let i = 0; i < settings.extraStarts; i++) {
    const dbPid = bench.db.pid()
    await settle([...bench.servers.map((s) => s.pid), ...(dbPid === undefined ? [] : [dbPid])])
    const s = await startServer(bench, `service-start-${i + 1}`, [...START_FLAGS, SERVICE_ENTRY], serviceEnv(withDatabase(bench.db.uri, dbName('service'))))
    bench.startups.push(s.startupMs)
    await stopServer(bench, s)
  }
  const startups = bench.startups
  return { samples: startups.map((v) => round(v, 1)), median: round(median(startups), 1), min: round(Math.min(...startups), 1), max: round(Math.max(...startups), 1) }
}

/** Growth: two services side by side on a small and a large collection, alternating, one connection. */
async function measureGrowth(bench: Bench): Promise<NonNullable<BenchResults['growth']>> {
  const { small, large } = settings.growth
  log(`growth: preloading ${small} and ${large} items`)
  for (const name of ['bench_growth_small', 'bench_growth_large']) await bench.client.db(name).dropDatabase()
  await preload(bench.client, 'bench_growth_small', 0, small)
  const preloadMs = await preload(bench.client, 'bench_growth_large', 0, large)
  log(`preloaded ${large} items in ${(preloadMs / 1000).toFixed(1)} s`)
  const start = async (label: string, name: string): Promise<Contender> => ({
    label,
    server: await startServer(bench, label, [...START_FLAGS, SERVICE_ENTRY], serviceEnv(withDatabase(bench.db.uri, name))),
  })
  const cS = await start('service-small', 'bench_growth_small')
  const cL = await start('service-large', 'bench_growth_large')
  bench.startups.push(cS.server.startupMs, cL.server.startupMs)
  const forSize = (count: number): Scenario[] => [getOne(count), list, listDeep(count)]
  await warmUp(bench, [getOne(small)], [cS], settings.growthConnections)
  await warmUp(bench, [getOne(large)], [cL], settings.growthConnections)
  const ids = ['get-one', 'list', 'list-deep'] as const
  const rows: GrowthRow[] = []
  // The list scenarios last: on a database that cannot use an index for the sort they are slow.
  for (const [i, id] of ids.entries()) {
    const runs = { small: [] as LoadResult[], large: [] as LoadResult[] }
    for (let r = 0; r < settings.rounds; r++) {
      const pair: [Contender, Scenario, 'small' | 'large'][] = [
        [cS, forSize(small)[i] as Scenario, 'small'],
        [cL, forSize(large)[i] as Scenario, 'large'],
      ]
      if (r % 2 === 1) pair.reverse()
      for (const [contender, scenario, size] of pair) {
        // A list on a large collection may pass the service's database deadline (503): a limit, not a crash.
        const result = await measure(bench, contender, scenario, settings.seconds, settings.growthConnections, id === 'get-one' ? 'fail' : 'limit')
        runs[size].push(result)
        logRun(`growth ${r + 1}/${settings.rounds}`, contender.label, id, result)
      }
    }
    const sA = aggregate(runs.small)
    const lA = aggregate(runs.large)
    rows.push({ scenario: id, title: forSize(large)[i]?.title ?? id, small: sA, large: lA, p50Ratio: round(sA.p50 === 0 ? 0 : lA.p50 / sA.p50) })
  }
  for (const s of [cS.server, cL.server]) await stopServer(bench, s)
  const first = rows.find((row) => row.scenario === 'list')
  const deep = rows.find((row) => row.scenario === 'list-deep')
  return { rows, deepOverFirst: round(first === undefined || deep === undefined || first.large.p50 === 0 ? 0 : deep.large.p50 / first.large.p50) }
}

/** Finding items at each collection size (bench/lib/find.ts): the service alone, one connection. */
async function measureFind(bench: Bench): Promise<FindRow[]> {
  const sizes = args['find-sizes']?.split(',').map(Number) ?? (quick ? FIND_SIZES_QUICK : FIND_SIZES)
  const rows: FindRow[] = []
  for (const size of sizes) {
    const name = `bench_find_${size}`
    await bench.client.db(name).dropDatabase()
    const preloadMs = await preload(bench.client, name, 0, size)
    log(`find: preloaded ${size} items in ${(preloadMs / 1000).toFixed(1)} s`)
    const contender = { label: `service-find-${size}`, server: await startServer(bench, `service-find-${size}`, [...START_FLAGS, SERVICE_ENTRY], serviceEnv(withDatabase(bench.db.uri, name))) }
    const scenarios = findScenarios(size)
    await warmUp(bench, scenarios.slice(0, 1), [contender], 1)
    for (const scenario of scenarios) {
      // On a database that scans for these queries, a large collection may pass the service's deadline (503).
      const result = await measure(bench, contender, scenario, settings.seconds, 1, 'limit')
      logRun('find', contender.label, scenario.id, result)
      rows.push(findRow(size, scenario, result))
    }
    await stopServer(bench, contender.server)
    await bench.client.db(name).dropDatabase()
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench', 'results', 'find.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), database: bench.db.description, seconds: settings.seconds, rows }, null, 2)}\n`)
  process.stdout.write(`\n${formatFind(rows)}\n\nwritten: bench/results/find.json\n`)
  return rows
}

/** A target line: reported always, failing the run only when enforced (correctness always, speed with --strict). */
function target(name: string, want: string, got: string, met: boolean, enforced = args.strict): Target {
  return { name, want, got, met, enforced }
}

function judgeTargets(results: Omit<BenchResults, 'targets'>): Target[] {
  const targets = [target('errors, timeouts, non-2xx, crashes', '0', String(failures.length), failures.length === 0, true)]
  for (const { scenario, reference, want } of CPU_TARGETS) {
    const row = results.comparison.scenarios.find((s) => s.id === scenario)
    const ratio = row?.servers.find((s) => s.label === reference)?.cpuRatio
    if (row !== undefined && ratio !== undefined && ratio !== null) {
      targets.push(target(`${row.title}: CPU/req vs ${reference}`, `<= x${want.toFixed(2)}`, `x${ratio.median.toFixed(3)} (rounds x${ratio.min.toFixed(2)}-x${ratio.max.toFixed(2)})${judgedNote(ratio)}`, ratio.median <= want))
    }
  }
  const peakMB = Math.max(results.memory.servicePeakRssMB, results.memory.serviceHwmMB)
  targets.push(target('service peak RSS under load', `<= ${TARGETS.rssMB} MB`, `${peakMB.toFixed(1)} MB`, peakMB <= TARGETS.rssMB))
  if (results.growth !== null) {
    for (const row of results.growth.rows.filter((r) => r.scenario !== 'list-deep')) {
      const name = `${row.scenario === 'list' ? 'list first page' : 'GET one'}: p50 at ${settings.growth.large} vs ${settings.growth.small} items`
      targets.push(target(name, `<= x${TARGETS.growth.toFixed(2)}`, `x${row.p50Ratio.toFixed(2)}`, row.p50Ratio <= TARGETS.growth))
    }
    targets.push(target('list: deep page vs first page (p50)', `<= x${TARGETS.growth.toFixed(2)}`, `x${results.growth.deepOverFirst.toFixed(2)}`, results.growth.deepOverFirst <= TARGETS.growth))
  }
  return targets
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

function writeResults(results: BenchResults): void {
  const outDir = join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const custom = only !== undefined || args.rounds !== undefined || args.seconds !== undefined || args['no-costs']
  const base = mode === 'compare' ? 'compare' : mode === 'full' && !custom ? 'latest' : 'quick'
  writeFileSync(join(outDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(join(outDir, `${base}.md`), toMarkdown(results))
  const docs = base === 'latest' ? writeDocsSection(join(ROOT, 'docs', 'performance.md'), results) : false
  process.stdout.write(`\n${formatTable(results)}\n\nwritten: bench/results/${base}.json, bench/results/${base}.md${docs ? ', docs/performance.md' : ''}\n`)
}

async function benchmark(): Promise<number> {
  const started = performance.now()
  const bench = await openBench()
  const databases = [...mainContenders().map((s) => dbName(s.label)), ...[null, ...COST_ROWS].map((row) => dbName(costVariantLabel(row))), 'bench_growth_small', 'bench_growth_large', ...FIND_SIZES.map((size) => `bench_find_${size}`)]
  try {
    const { summaries, contenders, logLinesPerRequest } = await compareServers(bench)
    const full = mode !== 'compare' && only === undefined
    const costs = full && !args['no-costs'] ? await priceFeatures(bench) : null
    const startupMs = full ? await measureStartups(bench) : null
    const growth = full ? await measureGrowth(bench) : null
    if (full) await measureFind(bench)
    const peak = (label: string): number => {
      const server = contenders.find((c) => c.label === label)?.server
      return server === undefined ? 0 : round(server.peakRssKb / 1024, 1)
    }
    const service = contenders[0]?.server
    const memory = {
      servicePeakRssMB: peak('service'),
      serviceHwmMB: service === undefined ? 0 : round(service.hwmKb() / 1024, 1),
      peakRssMB: Object.fromEntries(contenders.map((c) => [c.label, peak(c.label)])),
    }
    for (const c of contenders) await stopServer(bench, c.server)
    const partial: Omit<BenchResults, 'targets'> = {
      mode,
      date: new Date().toISOString(),
      durationSeconds: 0,
      machine: machine(),
      database: bench.db.description,
      settings: { connections: settings.connections, seconds: settings.seconds, costSeconds: settings.costSeconds, warmupSeconds: settings.warmupSeconds, rounds: settings.rounds, preloaded: settings.preloaded, growth: growth === null ? null : { ...settings.growth, connections: settings.growthConnections } },
      comparison: { service: 'service', scenarios: summaries },
      costs,
      logLinesPerRequest,
      growth,
      startupMs,
      memory,
      failures,
      limits,
    }
    const results: BenchResults = { ...partial, durationSeconds: round((performance.now() - started) / 1000, 0), targets: judgeTargets(partial) }
    writeResults(results)
    if (full) await transfer(bench)
    return results.targets.some((t) => t.enforced && !t.met) ? 1 : 0
  } finally {
    await closeBench(bench, databases)
  }
}

/** `--soak <minutes>`: the service alone under a steady mixed load; passes when it stays flat and answers as expected. */
async function soak(): Promise<number> {
  const minutes = Number(args.soak)
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) throw new BenchSetupError(`--soak takes whole minutes from 1 to 240, got "${args.soak}"`)
  const rate = Number(args['soak-rate'])
  if (!Number.isInteger(rate) || rate < 10 || rate > 5_000) throw new BenchSetupError(`--soak-rate takes requests per second from 10 to 5000, got "${args['soak-rate']}"`)
  const soakSettings: SoakSettings = { minutes, rate, connections: settings.connections, preloaded: settings.preloaded }
  const bench = await openBench()
  const name = 'bench_soak'
  try {
    await bench.client.db(name).dropDatabase()
    await preload(bench.client, name, 0, soakSettings.preloaded)
    // The create limit as `npm start` has it would refuse the soak's creates, which come from one address.
    const service = await startServer(bench, 'service-soak', [...START_FLAGS, SERVICE_ENTRY], serviceEnv(withDatabase(bench.db.uri, name)))
    log(`soak: ${minutes} min at ${rate} req/s over ${soakSettings.connections} connections, intervals of ${soakIntervalSeconds(minutes)} s (service pid ${service.pid}, node ${START_FLAGS.join(' ')})`)
    // The service's log is emptied every interval so a long run does not fill the disk; error lines are kept.
    const errorLines: string[] = []
    const intervals = await runSoak(
      {
        baseUrl: service.baseUrl,
        rssKb: () => rssKb(service.pid),
        assertAlive: () => {
          service.assertAlive()
          errorLines.push(...service.drainLog().errorLines)
        },
      },
      bench.client,
      name,
      soakSettings,
      log,
    )
    const verdict = judgeSoak(intervals, soakIntervalSeconds(minutes) === 60)
    for (const line of errorLines.slice(0, 5)) verdict.reasons.push(`service logged an error: ${line.slice(0, 300)}`)
    const code = await service.stop()
    bench.servers.splice(bench.servers.indexOf(service), 1)
    if (code !== 0) verdict.reasons.push(`service exited with code ${code ?? 'null (killed)'} after SIGTERM; the service promises 0`)
    const passed = verdict.reasons.length === 0
    const outDir = join(ROOT, 'bench', 'results')
    mkdirSync(outDir, { recursive: true })
    const file = `soak-${minutes}min.json`
    const out = { mode: 'soak', date: new Date().toISOString(), machine: machine(), database: bench.db.description, node: START_FLAGS, settings: soakSettings, intervals, verdict: { ...verdict, passed } }
    writeFileSync(join(outDir, file), `${JSON.stringify(out, null, 2)}\n`)
    process.stdout.write(`\n${formatSoak(intervals, { ...verdict, passed }, soakSettings)}\n\nwritten: bench/results/${file}\n`)
    return passed ? 0 : 1
  } finally {
    await closeBench(bench, [name])
  }
}

/** bench/transfer.ts on the bench's database; its figures go to bench/results/transfer.json and .md. */
async function transfer(bench: Bench): Promise<void> {
  const rows = Number(args['transfer-rows'] ?? (quick ? 10_000 : 100_000))
  const results = await runTransferBench(
    {
      client: bench.client,
      uri: bench.db.uri,
      log,
      startService: (label, name) => startServer(bench, label, [...START_FLAGS, SERVICE_ENTRY], serviceEnv(withDatabase(bench.db.uri, name), { RATE_LIMIT_IMPORT_ROWS: '0' })),
      stopService: (server) => stopServer(bench, server),
    },
    { rows, singleRows: Math.min(rows, quick ? 2_000 : 5_000), slowReaderKiBps: 256 },
  )
  const outDir = join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const text = formatTransfer(results)
  writeFileSync(join(outDir, 'transfer.json'), `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), database: bench.db.description, ...results }, null, 2)}\n`)
  writeFileSync(join(outDir, 'transfer.md'), `${text}\n`)
  process.stdout.write(`\n${text}\n\nwritten: bench/results/transfer.json, bench/results/transfer.md\n`)
  for (const line of failures) process.stderr.write(`bench: ${line}\n`)
}

async function transferOnly(): Promise<number> {
  const bench = await openBench()
  try {
    await transfer(bench)
    return failures.length === 0 ? 0 : 1
  } finally {
    await closeBench(bench, [])
  }
}

/** `--find`: only the find rows. */
async function findOnly(): Promise<number> {
  const bench = await openBench()
  try {
    await measureFind(bench)
    return failures.length === 0 ? 0 : 1
  } finally {
    await closeBench(bench, (args['find-sizes']?.split(',').map(Number) ?? FIND_SIZES).map((size) => `bench_find_${size}`))
  }
}

async function main(): Promise<number> {
  if (!existsSync(SERVICE_ENTRY)) throw new BenchSetupError(`${SERVICE_ENTRY} is missing: run \`npm run build\` first (npm run bench does)`)
  if (args.transfer) return transferOnly()
  if (args.find) return findOnly()
  return args.soak === undefined ? benchmark() : soak()
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
