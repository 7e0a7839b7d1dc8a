// The node flags the service runs with are a documented default (docs/performance.md): `npm start`, the image
// and the bench must all use the same ones.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startScriptNodeFlags } from '../../bench/lib/processes.js'

const root = new URL('../../', import.meta.url)

function dockerCmd(): string[] {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
  if (cmd === undefined) throw new Error('the Dockerfile has no exec-form CMD')
  return JSON.parse(cmd) as string[]
}

describe('node flags', () => {
  it('are the same in the start script and the image', () => {
    const flags = startScriptNodeFlags(new URL('package.json', root).pathname)
    expect(flags).toEqual(['--max-semi-space-size=2', '--max-old-space-size=128'])
    expect(dockerCmd()).toEqual(['node', ...flags, 'dist/server.js'])
  })
})
