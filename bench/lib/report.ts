// The bench's results: their shape (written as JSON), the terminal table and the SVG chart.
import type { LoadResult, ScenarioId } from './load.js'
import { SOAK_TOLERANCE, type SoakInterval, type SoakSettings, type SoakVerdict } from './soak.js'

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
  service: Aggregate
  other: Aggregate
  /** median service rps / median other rps */
  ratio: number
  /** median over rounds of service CPU ms per request / other CPU ms per request (null when not measured) */
  cpuRatio: number | null
  rounds: { service: LoadResult; other: LoadResult }[]
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
  machine: { nproc: number; cpuModel: string; memoryGiB: number; node: string; kernel: string }
  database: string
  settings: {
    connections: number
    seconds: number
    warmupSeconds: number
    rounds: number
    preloaded: number
    growth: { small: number; large: number; connections: number } | null
  }
  /** The service against the ceiling (or, in compare mode, against another build of the service). */
  comparison: { service: string; other: string; scenarios: ScenarioSummary[] }
  logging: { info: Aggregate; warn: Aggregate; scenario: ScenarioId; infoOverWarn: number }[] | null
  logLinesPerRequest: number | null
  growth: { rows: GrowthRow[]; deepOverFirst: number } | null
  startupMs: { samples: number[]; median: number; min: number; max: number } | null
  memory: { servicePeakRssMB: number; serviceHwmMB: number; otherPeakRssMB: number }
  failures: string[]
  /** Non-2xx answers caused by the database's own limits (e.g. a sort it cannot serve from an index). */
  limits: string[]
  targets: Target[]
}

const pad = (text: string, width: number): string => text.padEnd(width)
const lpad = (text: string, width: number): string => text.padStart(width)
const cpu = (value: number | null): string => (value === null ? '-' : value.toFixed(3))
const num = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

export function formatTable(results: BenchResults): string {
  const other = results.comparison.other
  const lines: string[] = []
  const s = results.settings
  lines.push(
    `${results.mode} run, ${s.connections} connections, ${s.seconds} s per run, ${s.rounds} round(s) (medians), ` +
      `${results.machine.nproc} CPUs ${results.machine.cpuModel}, node ${results.machine.node}`,
  )
  lines.push(`database: ${results.database}`)
  lines.push('')
  const head =
    `${pad('scenario', 30)}${lpad('CPU ms/req service', 19)}${lpad(other, 10)}${lpad('ratio', 8)}   ` +
    `${lpad('req/s service', 13)}${lpad(other, 10)}   ${pad('p50 / p99 ms service', 22)}${pad(other, 18)}db CPU ms/req`
  lines.push(head)
  lines.push('-'.repeat(head.length + 4))
  for (const row of results.comparison.scenarios) {
    lines.push(
      `${pad(row.title, 30)}${lpad(cpu(row.service.cpuServer), 19)}${lpad(cpu(row.other.cpuServer), 10)}${lpad(row.cpuRatio === null ? '-' : `x${row.cpuRatio.toFixed(2)}`, 8)}   ` +
        `${lpad(num(row.service.rps), 13)}${lpad(num(row.other.rps), 10)}   ` +
        `${pad(`${row.service.p50.toFixed(2)} / ${row.service.p99.toFixed(2)}`, 22)}${pad(`${row.other.p50.toFixed(2)} / ${row.other.p99.toFixed(2)}`, 18)}` +
        `${cpu(row.service.cpuDatabase)} / ${cpu(row.other.cpuDatabase)}`,
    )
  }
  lines.push(`(CPU ms/req: user + system time of each server process over the requests it answered, median of the rounds; ratio: median of the rounds' service/${other} ratios)`)
  if (results.logging !== null) {
    lines.push('')
    lines.push('logging cost (the service at LOG_LEVEL=info, its default, against LOG_LEVEL=warn):')
    for (const row of results.logging) {
      lines.push(`  ${pad(row.scenario, 12)} info ${num(row.info.rps)} req/s, warn ${num(row.warn.rps)} req/s: info runs at ${(row.infoOverWarn * 100).toFixed(0)} %`)
    }
    if (results.logLinesPerRequest !== null) lines.push(`  log lines per request at info: ${results.logLinesPerRequest.toFixed(2)}`)
  }
  if (results.growth !== null && results.settings.growth !== null) {
    const g = results.settings.growth
    lines.push('')
    lines.push(`how cost grows (${num(g.small)} vs ${num(g.large)} stored items, p50 latency at ${g.connections} connection(s)):`)
    for (const row of results.growth.rows) {
      lines.push(
        `  ${pad(row.title, 44)} ${lpad(row.small.p50.toFixed(2), 6)} ms -> ${lpad(row.large.p50.toFixed(2), 6)} ms  (x${row.p50Ratio.toFixed(2)}; ` +
          `${num(row.small.rps)} -> ${num(row.large.rps)} req/s)`,
      )
    }
    lines.push(`  deep page vs first page at ${num(g.large)} items: x${results.growth.deepOverFirst.toFixed(2)} p50`)
  }
  if (results.startupMs !== null) {
    const st = results.startupMs
    lines.push('')
    lines.push(`startup (spawn to first /readyz 200): median ${st.median.toFixed(0)} ms, min ${st.min.toFixed(0)}, max ${st.max.toFixed(0)} over ${st.samples.length} starts`)
  }
  const m = results.memory
  lines.push(`memory under load: service peak RSS ${m.servicePeakRssMB.toFixed(1)} MB (VmHWM ${m.serviceHwmMB.toFixed(1)} MB), ${other} ${m.otherPeakRssMB.toFixed(1)} MB`)
  lines.push('')
  lines.push('targets:')
  for (const t of results.targets) {
    lines.push(`  [${t.met ? 'met ' : 'MISS'}] ${pad(t.name, 44)} want ${pad(t.want, 12)} got ${t.got}${t.enforced ? '' : '  (reported, not enforced)'}`)
  }
  if (results.limits.length > 0) {
    lines.push('')
    lines.push("database limits (answers the service gave correctly, 503 past its database deadline; not counted as failures):")
    for (const l of results.limits) lines.push(`  ${l}`)
  }
  if (results.failures.length > 0) {
    lines.push('')
    lines.push('FAILURES:')
    for (const f of results.failures) lines.push(`  ${f}`)
  }
  return lines.join('\n')
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A grouped bar chart: for each scenario the service's CPU ms per request beside the ceiling's, with the ratio. */
export function renderSvg(results: BenchResults): string {
  const rows = results.comparison.scenarios
  const other = results.comparison.other
  const width = 860
  const left = 250
  const right = 130
  const top = 78
  const barH = 18
  const groupH = barH * 2 + 22
  const height = top + rows.length * groupH + 60
  const cpuOf = (a: Aggregate): number => a.cpuServer ?? 0
  const max = Math.max(0.001, ...rows.flatMap((r) => [cpuOf(r.service), cpuOf(r.other)]))
  const step = niceStep(max)
  const scaleMax = Math.ceil(max / step) * step
  const x = (v: number): number => left + ((width - left - right) * v) / scaleMax
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`)
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`)
  const m = results.machine
  out.push(`<text x="16" y="26" font-size="17" font-weight="600">item-store CPU per request: the service beside ${esc(other)} (ms, lower is better)</text>`)
  out.push(
    `<text x="16" y="46" fill="#555">${esc(`${results.mode} run ${results.date.slice(0, 10)}, ${results.settings.connections} connections, median of ${results.settings.rounds} round(s) of ${results.settings.seconds} s; ${m.nproc} CPUs ${m.cpuModel}, node ${m.node}`)}</text>`,
  )
  for (let v = 0; v <= scaleMax + step / 2; v += step) {
    out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 8}" x2="${x(v).toFixed(1)}" y2="${height - 44}" stroke="#e3e3e3"/>`)
    out.push(`<text x="${x(v).toFixed(1)}" y="${height - 28}" text-anchor="middle" fill="#555">${round3(v)}</text>`)
  }
  rows.forEach((row, i) => {
    const y = top + i * groupH
    out.push(`<text x="${left - 10}" y="${y + barH + 4}" text-anchor="end">${esc(row.title)}</text>`)
    const bars: [string, number, string][] = [
      ['service', cpuOf(row.service), '#2f6fb0'],
      [other, cpuOf(row.other), '#b9b9b9'],
    ]
    bars.forEach(([name, value, color], j) => {
      const by = y + j * barH
      out.push(`<rect x="${left}" y="${by}" width="${(x(value) - left).toFixed(1)}" height="${barH - 3}" fill="${color}"><title>${esc(`${name}: ${value.toFixed(3)} ms CPU per request`)}</title></rect>`)
      out.push(`<text x="${(x(value) + 5).toFixed(1)}" y="${by + barH - 6}" fill="#333" font-size="12">${value.toFixed(3)} ms${j === 0 && row.cpuRatio !== null ? `  (x${row.cpuRatio.toFixed(2)})` : ''}</text>`)
    })
  })
  const ly = height - 12
  out.push(`<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="#2f6fb0"/><text x="${left + 18}" y="${ly}">service (Fastify + Mongoose, LOG_LEVEL=info)</text>`)
  out.push(`<rect x="${left + 330}" y="${ly - 10}" width="12" height="12" fill="#b9b9b9"/><text x="${left + 348}" y="${ly}">${esc(other === 'ceiling' ? 'ceiling (node:http + mongodb driver)' : other)}</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function round3(value: number): string {
  return String(Math.round(value * 1000) / 1000)
}

function niceStep(max: number): number {
  const raw = max / 5
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * magnitude) return m * magnitude
  return 10 * magnitude
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
