// The bench's results: their shape (written as JSON), the terminal table and the SVG chart.
import type { LoadResult, ScenarioId } from './load.js'

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
    `${pad('scenario', 30)}${lpad('service req/s', 14)}${lpad(`${other} req/s`, 15)}${lpad('ratio', 7)}   ` +
    `${pad('service p50 / p99 ms', 22)}${pad(`${other} p50 / p99 ms`, 22)}CPU ms/req service, ${other}, db`
  lines.push(head)
  lines.push('-'.repeat(head.length + 4))
  for (const row of results.comparison.scenarios) {
    lines.push(
      `${pad(row.title, 30)}${lpad(num(row.service.rps), 14)}${lpad(num(row.other.rps), 15)}${lpad(row.ratio.toFixed(2), 7)}   ` +
        `${pad(`${row.service.p50.toFixed(2)} / ${row.service.p99.toFixed(2)}`, 22)}${pad(`${row.other.p50.toFixed(2)} / ${row.other.p99.toFixed(2)}`, 22)}` +
        `${cpu(row.service.cpuServer)}, ${cpu(row.other.cpuServer)}, ${cpu(row.service.cpuDatabase)} / ${cpu(row.other.cpuDatabase)}`,
    )
  }
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

/** A grouped bar chart: for each scenario the service's req/s beside the ceiling's, with the ratio. */
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
  const max = Math.max(1, ...rows.flatMap((r) => [r.service.rps, r.other.rps]))
  const step = niceStep(max)
  const scaleMax = Math.ceil(max / step) * step
  const x = (v: number): number => left + ((width - left - right) * v) / scaleMax
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`)
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`)
  const m = results.machine
  out.push(`<text x="16" y="26" font-size="17" font-weight="600">item-store throughput: the service beside ${esc(other)} (requests/s, higher is better)</text>`)
  out.push(
    `<text x="16" y="46" fill="#555">${esc(`${results.mode} run ${results.date.slice(0, 10)}, ${results.settings.connections} connections, median of ${results.settings.rounds} round(s) of ${results.settings.seconds} s; ${m.nproc} CPUs ${m.cpuModel}, node ${m.node}`)}</text>`,
  )
  for (let v = 0; v <= scaleMax; v += step) {
    out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 8}" x2="${x(v).toFixed(1)}" y2="${height - 44}" stroke="#e3e3e3"/>`)
    out.push(`<text x="${x(v).toFixed(1)}" y="${height - 28}" text-anchor="middle" fill="#555">${num(v)}</text>`)
  }
  rows.forEach((row, i) => {
    const y = top + i * groupH
    out.push(`<text x="${left - 10}" y="${y + barH + 4}" text-anchor="end">${esc(row.title)}</text>`)
    const bars: [string, number, string][] = [
      ['service', row.service.rps, '#2f6fb0'],
      [other, row.other.rps, '#b9b9b9'],
    ]
    bars.forEach(([name, value, color], j) => {
      const by = y + j * barH
      out.push(`<rect x="${left}" y="${by}" width="${(x(value) - left).toFixed(1)}" height="${barH - 3}" fill="${color}"><title>${esc(`${name}: ${num(value)} req/s`)}</title></rect>`)
      out.push(`<text x="${(x(value) + 5).toFixed(1)}" y="${by + barH - 6}" fill="#333" font-size="12">${num(value)}${j === 0 ? `  (${(row.ratio * 100).toFixed(0)} %)` : ''}</text>`)
    })
  })
  const ly = height - 12
  out.push(`<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="#2f6fb0"/><text x="${left + 18}" y="${ly}">service (Fastify + Mongoose, LOG_LEVEL=info)</text>`)
  out.push(`<rect x="${left + 330}" y="${ly - 10}" width="12" height="12" fill="#b9b9b9"/><text x="${left + 348}" y="${ly}">${esc(other === 'ceiling' ? 'ceiling (node:http + mongodb driver)' : other)}</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function niceStep(max: number): number {
  const raw = max / 5
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * magnitude) return m * magnitude
  return 10 * magnitude
}
