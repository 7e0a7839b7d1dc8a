// The bench's results: their shape (written as JSON), the terminal table, and the Markdown written into
// docs/performance.md (a Mermaid bar chart, which GitHub draws, in place of a hand-drawn SVG).
import { readFileSync, writeFileSync } from 'node:fs'
import type { LoadResult, ScenarioId } from './load.js'
import { SOAK_TOLERANCE, type SoakInterval, type SoakSettings, type SoakVerdict } from './soak.js'
import { judgedNote, type Judged } from './stats.js'

export interface Aggregate {
  rps: number
  p50: number
  p99: number
  mean: number
  /** CPU ms per request: the server under test, and the database server (null when not ours) */
  cpuServer: number | null
  cpuDatabase: number | null
}

export interface ScenarioSummary {
  id: ScenarioId
  title: string
  /** Each server's medians; cpuRatio: the service's CPU per request over this server's, per round (null for the service). */
  servers: (Aggregate & { label: string; cpuRatio: Judged | null })[]
  rounds: Record<string, LoadResult[]>
}

export interface CostResult {
  feature: string
  how: string
  /** Peak RSS of the server without the feature. */
  peakRssMB: number | null
  /** withMs - withoutMs per round: the CPU per request the feature adds. */
  scenarios: { scenario: ScenarioId; withMs: number | null; withoutMs: number | null; costMs: Judged | null }[]
}

export interface Target {
  name: string
  want: string
  got: string
  met: boolean
  /** Whether a miss fails the run: only correctness does; speed targets are reported, CI machines are noisy. */
  enforced: boolean
}

export interface GrowthRow {
  scenario: ScenarioId
  title: string
  small: Aggregate
  large: Aggregate
  /** large p50 / small p50 */
  p50Ratio: number
}

export interface BenchResults {
  mode: 'full' | 'quick' | 'compare'
  date: string
  durationSeconds: number
  machine: { nproc: number; cpuModel: string; memoryGiB: number; node: string; kernel: string }
  database: string
  settings: {
    connections: number
    seconds: number
    costSeconds: number
    warmupSeconds: number
    rounds: number
    preloaded: number
    growth: { small: number; large: number; connections: number } | null
  }
  /** The service beside the references and the ceiling (or, in compare mode, another build of the service). */
  comparison: { service: string; scenarios: ScenarioSummary[] }
  costs: CostResult[] | null
  logLinesPerRequest: number | null
  growth: { rows: GrowthRow[]; deepOverFirst: number } | null
  startupMs: { samples: number[]; median: number; min: number; max: number } | null
  memory: { servicePeakRssMB: number; serviceHwmMB: number; peakRssMB: Record<string, number> }
  failures: string[]
  /** Non-2xx answers caused by the database's own limits (e.g. a sort it cannot serve from an index). */
  limits: string[]
  targets: Target[]
}

const pad = (text: string, width: number): string => text.padEnd(width)
const lpad = (text: string, width: number): string => text.padStart(width)
const ms = (value: number | null): string => (value === null ? '-' : value.toFixed(3))
const num = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ratio = (j: Judged | null): string => (j === null ? '' : `x${j.median.toFixed(2)}${judgedNote(j)}`)
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`

function header(results: BenchResults): string {
  const s = results.settings
  const m = results.machine
  return (
    `${results.mode} run ${results.date.slice(0, 16)}Z, ${num(results.durationSeconds)} s; ${s.connections} connections, ${s.seconds} s per run, ` +
    `${s.rounds} round(s) (medians); ${m.nproc} CPUs ${m.cpuModel}, node ${m.node}; database: ${results.database}`
  )
}

/** One row per scenario and server: CPU per request (and the service's ratio to it), req/s, p50/p99, peak RSS. */
function comparisonRows(results: BenchResults): string[][] {
  const rows: string[][] = []
  for (const scenario of results.comparison.scenarios) {
    for (const server of scenario.servers) {
      rows.push([
        scenario.title,
        server.label,
        ms(server.cpuServer),
        server.cpuRatio === null ? '' : ratio(server.cpuRatio),
        num(server.rps),
        `${server.p50.toFixed(2)} / ${server.p99.toFixed(2)}`,
        ms(server.cpuDatabase),
        (results.memory.peakRssMB[server.label] ?? 0).toFixed(0),
      ])
    }
  }
  return rows
}
const COMPARISON_HEAD = ['scenario', 'server', 'CPU ms/req', 'service / it', 'req/s', 'p50 / p99 ms', 'db CPU ms/req', 'peak RSS MB']

function costRows(results: BenchResults): string[][] {
  const scenarios = results.costs?.[0]?.scenarios.map((s) => s.scenario) ?? []
  return (results.costs ?? []).map((row) => [
    row.feature,
    row.how,
    ...scenarios.map((id) => {
      const cost = row.scenarios.find((s) => s.scenario === id)?.costMs ?? null
      return cost === null ? '-' : `${signed(cost.median)}${judgedNote(cost)}`
    }),
    row.peakRssMB === null ? '-' : row.peakRssMB.toFixed(0),
  ])
}

function costHead(results: BenchResults): string[] {
  const scenarios = results.costs?.[0]?.scenarios.map((s) => s.scenario) ?? []
  return ['feature', 'left out by', ...scenarios.map((id) => `${id} CPU ms/req`), 'peak RSS MB (without)']
}

function textTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? pad(c, widths[i] ?? 0) : lpad(c, widths[i] ?? 0))).join('  ')
  return [line(head), '-'.repeat(widths.reduce((a, b) => a + b + 2, 0)), ...rows.map(line)]
}

function markdownTable(head: string[], rows: string[][]): string[] {
  // `<name>` in a title would be read as an HTML tag, and `|` as a column break.
  const cell = (text: string): string => text.replace(/</g, '&lt;').replace(/\|/g, '\\|')
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)]
}

const CPU_NOTE =
  'CPU ms/req: user + system time of each server process over the requests it answered, median of the rounds; ' +
  '"service / it": median of the per-round ratios of the service\'s CPU per request to that server\'s. ' +
  '"within noise": the rounds fall on both sides of 1 (a ratio) or 0 (a cost), so the figure is not a finding.'

const COST_NOTE =
  'Cost: CPU per request of the service with everything on minus that of the same build with the feature left out ' +
  '(bench/servers/service.ts), per round, median; for the heap rows, what the start script\'s flags cost over that setting.'

export function formatTable(results: BenchResults): string {
  const lines = [header(results), '']
  lines.push(...textTable(COMPARISON_HEAD, comparisonRows(results)))
  lines.push(`(${CPU_NOTE})`)
  if (results.costs !== null) {
    lines.push('', 'what each per-request feature costs (CPU ms per request it adds):')
    lines.push(...textTable(costHead(results), costRows(results)))
  }
  if (results.logLinesPerRequest !== null) lines.push(`log lines per request at info: ${results.logLinesPerRequest.toFixed(2)}`)
  if (results.growth !== null && results.settings.growth !== null) {
    const g = results.settings.growth
    lines.push('', `how cost grows (${num(g.small)} vs ${num(g.large)} stored items, p50 latency at ${g.connections} connection(s)):`)
    for (const row of results.growth.rows) {
      lines.push(`  ${pad(row.title, 44)} ${lpad(row.small.p50.toFixed(2), 6)} ms -> ${lpad(row.large.p50.toFixed(2), 6)} ms  (x${row.p50Ratio.toFixed(2)}; ${num(row.small.rps)} -> ${num(row.large.rps)} req/s)`)
    }
    lines.push(`  deep page vs first page at ${num(g.large)} items: x${results.growth.deepOverFirst.toFixed(2)} p50`)
  }
  if (results.startupMs !== null) {
    const st = results.startupMs
    lines.push('', `startup (spawn to first /readyz 200): median ${st.median.toFixed(0)} ms, min ${st.min.toFixed(0)}, max ${st.max.toFixed(0)} over ${st.samples.length} starts`)
  }
  const m = results.memory
  lines.push(`memory under load: service peak RSS ${m.servicePeakRssMB.toFixed(1)} MB (VmHWM ${m.serviceHwmMB.toFixed(1)} MB)`)
  lines.push('', 'targets:')
  for (const t of results.targets) lines.push(`  [${t.met ? 'met ' : 'MISS'}] ${pad(t.name, 48)} want ${pad(t.want, 10)} got ${t.got}${t.enforced ? '' : '  (reported, not enforced)'}`)
  if (results.limits.length > 0) {
    lines.push('', 'database limits (answers the service gave correctly, 503 past its database deadline; not counted as failures):')
    for (const l of results.limits) lines.push(`  ${l}`)
  }
  if (results.failures.length > 0) {
    lines.push('', 'FAILURES:')
    for (const f of results.failures) lines.push(`  ${f}`)
  }
  return lines.join('\n')
}

/** A Mermaid bar chart of CPU per request by scenario, one bar series per server (GitHub renders it). */
function mermaidChart(results: BenchResults): string[] {
  const scenarios = results.comparison.scenarios
  const labels = scenarios[0]?.servers.map((s) => s.label) ?? []
  const max = Math.max(0.001, ...scenarios.flatMap((s) => s.servers.map((x) => x.cpuServer ?? 0)))
  const lines = ['```mermaid', 'xychart-beta', `  title "CPU ms per request (${labels.join(', ')}, bars in that order)"`]
  lines.push(`  x-axis [${scenarios.map((s) => `"${s.id}"`).join(', ')}]`, `  y-axis "CPU ms per request" 0 --> ${(Math.ceil(max * 10) / 10).toFixed(1)}`)
  for (const label of labels) lines.push(`  bar [${scenarios.map((s) => (s.servers.find((x) => x.label === label)?.cpuServer ?? 0).toFixed(3)).join(', ')}]`)
  lines.push('```')
  return lines
}

/** The run's figures as Markdown: the comparison, the chart, the cost table and the targets. */
export function toMarkdown(results: BenchResults): string {
  const lines = [`_${header(results)}._`, '', ...markdownTable(COMPARISON_HEAD, comparisonRows(results)), '', CPU_NOTE, '', ...mermaidChart(results)]
  if (results.costs !== null) lines.push('', '#### What each per-request feature costs', '', ...markdownTable(costHead(results), costRows(results)), '', COST_NOTE)
  lines.push('', '#### Targets', '', ...markdownTable(['target', 'want', 'got', 'met'], results.targets.map((t) => [t.name, t.want, t.got, t.met ? 'yes' : '**no**'])))
  const m = results.memory
  lines.push('', `Service peak RSS ${m.servicePeakRssMB.toFixed(1)} MB (VmHWM ${m.serviceHwmMB.toFixed(1)} MB); log lines per request at info: ${results.logLinesPerRequest?.toFixed(2) ?? '-'}.`)
  if (results.startupMs !== null) lines.push(`Startup median ${results.startupMs.median.toFixed(0)} ms over ${results.startupMs.samples.length} starts.`)
  return `${lines.join('\n')}\n`
}

export const DOCS_START = '<!-- bench:start (written by npm run bench; do not edit by hand) -->'
export const DOCS_END = '<!-- bench:end -->'

/** Replaces the text between the bench markers in `path` with this run's Markdown; false when the file or markers are missing. */
export function writeDocsSection(path: string, results: BenchResults): boolean {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return false
  }
  const start = text.indexOf(DOCS_START)
  const end = text.indexOf(DOCS_END)
  if (start < 0 || end < start) return false
  writeFileSync(path, `${text.slice(0, start + DOCS_START.length)}\n${toMarkdown(results)}${text.slice(end)}`)
  return true
}

/** The soak's table: one row per interval, and the verdict. */
export function formatSoak(intervals: SoakInterval[], verdict: SoakVerdict & { passed: boolean }, settings: SoakSettings): string {
  const lines: string[] = []
  lines.push(`soak: ${settings.minutes} min at ${settings.rate} req/s, ${settings.connections} connections (5 reads, 2 JSON creates, 1 form create, 1 missing, 1 refused per 10)`)
  const head = `${pad('interval', 10)}${lpad('requests', 9)}${lpad('errors', 8)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('RSS MB mean', 13)}${lpad('peak', 8)}${lpad('heap used MB', 14)}${lpad('loop delay p99 / max ms', 25)}`
  lines.push(head)
  lines.push('-'.repeat(head.length))
  const opt = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits))
  for (const i of intervals) {
    lines.push(
      `${pad(`${i.index} (${i.seconds} s)`, 10)}${lpad(String(i.requests), 9)}${lpad(String(i.errors), 8)}${lpad(i.p50Ms.toFixed(2), 9)}${lpad(i.p99Ms.toFixed(2), 9)}` +
        `${lpad(i.rssMeanMB.toFixed(1), 13)}${lpad(i.rssPeakMB.toFixed(1), 8)}${lpad(opt(i.heapUsedMB, 1), 14)}${lpad(`${opt(i.loopDelayP99Ms, 1)} / ${opt(i.loopDelayMaxMs, 1)}`, 25)}`,
    )
  }
  lines.push('')
  const pct = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`)
  if (verdict.compared !== null) {
    lines.push(
      `interval ${verdict.compared[1]} against interval ${verdict.compared[0]}: peak RSS ${pct(verdict.rssChange)}, p99 ${pct(verdict.p99Change)} ` +
        `(allowed: at most +${(SOAK_TOLERANCE * 100).toFixed(0)} %${verdict.p99Decides ? '' : '; p99 over 15 s intervals is reported, not judged'}); errors ${verdict.errors}`,
    )
  }
  lines.push(`soak ${verdict.passed ? 'PASSED' : 'FAILED'}${verdict.reasons.length === 0 ? '' : `: ${verdict.reasons.join('; ')}`}`)
  return lines.join('\n')
}
