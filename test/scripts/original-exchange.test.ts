// examples/original-exchange.ts, run as a reader would run it, against the service: each of the original
// demo's three calls answers as docs/original-demo.md says.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { useApp } from '../setup/test-app.js'

const fx = useApp('example_client')
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('examples/original-exchange.ts', () => {
  it('creates Item1 (201), reads it back (200) and is told what is wrong with "Not a number" (422)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/original-exchange.ts'], {
      cwd: ROOT,
      env: { ...process.env, BASE_URL: fx.baseUrl },
      timeout: 120_000,
    })
    const item = '{"name":"Item1","price":12.34,"description":"Rusty old bucket","tax":null}'
    expect(stdout.split('\n')).toEqual([
      'POST /items/new/ -> 201',
      item,
      'GET /items/Item1/ -> 200',
      item,
      'POST /items/new/ -> 422',
      '{"detail":[{"loc":["body","price"],"msg":"price must be a decimal number such as 12.34 (digits, an optional point and sign)","type":"decimal_parsing"}]}',
      '',
    ])
  })
})
