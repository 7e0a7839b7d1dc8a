// The cost table's rows: each per-request feature, and how the bench leaves it out. Features with a setting are
// left out through that setting; the others by the bench's own assembly of the app (bench/servers/service.ts).
import { BENCH_API_KEY } from './load.js'

/** Every cost-table server is configured as a closed deployment is: JSON creates need an API key. */
export const COST_BASE_ENV: Record<string, string> = { API_KEYS: `bench=${BENCH_API_KEY}` }

export interface CostRow {
  /** The row's server label (logs, results). */
  id: string
  feature: string
  /** How this row's server differs from the service with everything on. */
  how: string
  /** A feature bench/servers/service.ts leaves out (BENCH_WITHOUT). */
  without?: 'security-headers' | 'request-guards' | 'name-normalization' | 'exact-json-numbers' | 'money-check'
  env?: Record<string, string>
  /** node flags in place of the start script's. */
  nodeFlags?: string[]
}

export const COST_ROWS: CostRow[] = [
  { id: 'api-key', feature: 'API key check (issue 19: at most 5 % of a create)', how: 'API_KEYS unset (writes open)', env: { API_KEYS: '' } },
  { id: 'load-limits', feature: 'load limits (connection cap, body budget, load shedding)', how: 'MAX_CONNECTIONS, BODY_BUFFER_MB, MAX_EVENT_LOOP_DELAY_MS and MEMORY_LIMIT_MB set to 0', env: { MAX_CONNECTIONS: '0', BODY_BUFFER_MB: '0', MAX_EVENT_LOOP_DELAY_MS: '0', MEMORY_LIMIT_MB: '0' } },
  { id: 'logs', feature: 'access log (one line per request)', how: 'LOG_LEVEL=warn', env: { LOG_LEVEL: 'warn' } },
  { id: 'metrics', feature: 'metrics (prom-client)', how: 'METRICS=off', env: { METRICS: 'off' } },
  { id: 'headers', feature: 'security headers', how: 'without security-headers', without: 'security-headers' },
  { id: 'create-limit', feature: 'create limit', how: 'RATE_LIMIT_CREATES=0', env: { RATE_LIMIT_CREATES: '0' } },
  { id: 'guards', feature: 'request guards', how: 'without request-guards', without: 'request-guards' },
  { id: 'names', feature: 'name normalization (NFC)', how: 'without name-normalization', without: 'name-normalization' },
  { id: 'json-numbers', feature: 'exact-number JSON parsing', how: "without exact-json-numbers (Fastify's parser)", without: 'exact-json-numbers' },
  { id: 'money', feature: 'x-money check (decimal.js)', how: 'without money-check (plain rounding)', without: 'money-check' },
  // Negative on reads: what the cache saves (the database call, rendering, the ETag's hash) against its lookup.
  { id: 'read-cache', feature: 'read cache (issue 26)', how: 'READ_CACHE_MB=0', env: { READ_CACHE_MB: '0' } },
  // No RSS check: without the heap flags the heap grows past the 80 % RSS threshold and load shedding would answer 503.
  { id: 'heap-none', feature: 'heap flags (start script)', how: 'node with no flags, MEMORY_LIMIT_MB=0', nodeFlags: [], env: { MEMORY_LIMIT_MB: '0' } },
  { id: 'heap-semi-4', feature: 'heap: semi-space 4 MB', how: '--max-semi-space-size=4 --max-old-space-size=128', nodeFlags: ['--max-semi-space-size=4', '--max-old-space-size=128'] },
  { id: 'heap-semi-8', feature: 'heap: semi-space 8 MB', how: '--max-semi-space-size=8 --max-old-space-size=128', nodeFlags: ['--max-semi-space-size=8', '--max-old-space-size=128'] },
  { id: 'heap-old-96', feature: 'heap: old-space 96 MB', how: '--max-semi-space-size=2 --max-old-space-size=96', nodeFlags: ['--max-semi-space-size=2', '--max-old-space-size=96'] },
]

/** The server label of a row (null: the service with everything on). */
export function costVariantLabel(row: CostRow | null): string {
  return row === null ? 'all-features' : `without-${row.id}`
}
