// Timing of a wrong sign-in: an unknown name must cost what a known one costs, whatever the parameters of the
// hashes in the editors file, so the answer's time does not tell who is an editor. Compared on medians of a
// few tries; a timing comparison, so it runs here, alone on the machine.
import { describe, expect, it } from 'vitest'
import { accessConfig, csrfToken, editor, newKey, Visitor } from '../../harness/access.js'
import { startTestApp } from '../setup/test-app.js'

const PASSWORD = 'correct horse battery staple'

describe('sign-in timing', () => {
  it('an unknown name costs what a known one costs, whatever the parameters of the hashes in the file', async () => {
    // alice's hash is cheap, bob's dearer: an unknown name must cost what alice's check costs.
    const access = accessConfig({ editors: [await editor('alice', PASSWORD, { ln: 14, r: 8, p: 1 }), await editor('bob', PASSWORD, { ln: 15, r: 8, p: 1 })], sessionSecret: newKey() })
    const running = await startTestApp('signin_timing', { access }, { fastify: { trustProxy: ['127.0.0.1'] } })
    try {
      const timings: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] }
      for (let i = 0; i < 6; i++) {
        for (const [kind, name] of [['known', 'alice'], ['unknown', 'mallory']] as const) {
          // Each try from an address of its own, so no lock-out is reached.
          const visitor = new Visitor(running.baseUrl, { 'x-forwarded-for': `127.0.2.${i}` })
          const token = csrfToken((await visitor.get('/signin')).text)
          const started = performance.now()
          const answer = await visitor.postForm('/signin', { name, password: 'wrong password', _csrf: token })
          timings[kind].push(performance.now() - started)
          expect(answer.status).toBe(422)
        }
      }
      const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
      const ratio = median(timings.unknown) / median(timings.known)
      process.stderr.write(`[signin] wrong password: known name median ${median(timings.known).toFixed(0)} ms, unknown ${median(timings.unknown).toFixed(0)} ms, ratio ${ratio.toFixed(2)}\n`)
      expect(ratio).toBeGreaterThan(0.6)
      expect(ratio).toBeLessThan(1.67)
    } finally {
      await running.close()
    }
  })
})
