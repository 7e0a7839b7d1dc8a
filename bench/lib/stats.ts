export function median(values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** The p-th percentile (0-100) of already sorted samples, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/**
 * A figure from rounds, and whether it is within their run-to-run noise: `values` are per-round differences
 * or ratios, `neutral` is what "no effect" would give (0 for a difference, 1 for a ratio). With fewer than 3
 * rounds the noise is unknown, and with rounds on both sides of `neutral` the figure is noise.
 */
export interface Judged {
  median: number
  min: number
  max: number
  /** 'finding': every round on the same side of neutral; 'noise': they disagree; 'unknown': under 3 rounds. */
  verdict: 'finding' | 'noise' | 'unknown'
}

export function judge(values: number[], neutral: number): Judged {
  const result = { median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) }
  if (values.length < 3) return { ...result, verdict: 'unknown' }
  const above = values.every((v) => v > neutral)
  const below = values.every((v) => v < neutral)
  return { ...result, verdict: above || below ? 'finding' : 'noise' }
}

/** How a judged figure is printed: noise and unknown spread are said, not hidden. */
export function judgedNote(j: Judged): string {
  if (j.verdict === 'noise') return ' (within noise)'
  if (j.verdict === 'unknown') return ' (noise unknown: under 3 rounds)'
  return ''
}
