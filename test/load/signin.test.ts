// Sign-in traffic against the built server started as `npm start` starts it, writes closed, editors at the
// default scrypt cost (32 MiB a hash): many wrong sign-ins at once, from many addresses (through a trusted
// proxy), while a reader browses the catalogue. No read may be shed, and the peak RSS stays under the
// shedding threshold. Prints what one sign-in costs (docs/security.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpuMs, startScriptNodeFlags } from '../../bench/lib/processes.js'
import { csrfToken, newKey, Visitor } from '../../harness/access.js'
import { procStatusKb } from '../../harness/flood.js'
import { get } from '../../harness/http.js'
import { openItems } from '../../harness/items.js'
import { buildIfNeeded, ServerProcess } from '../../harness/server-process.js'
import { hashPassword } from '../../src/auth/passwords.js'
import { testDbUri } from '../setup/test-app.js'

const ROOT = resolve(import.meta.dirname, '../..')
const MEMORY_LIMIT_MB = 256
// Reads are shed once RSS passes 80 % of MEMORY_LIMIT_MB (docs/reliability.md).
const SHED_AT_MB = MEMORY_LIMIT_MB * 0.8
const ATTACKERS = 8
const ATTACK_MS = 15_000
const READ_EVERY_MS = 200

const dir = mkdtempSync(join(tmpdir(), 'item-store-signin-load-'))
const mongodbUri = testDbUri('signin_load')
let server: ServerProcess | undefined

beforeAll(async () => {
  buildIfNeeded()
  // The cost `npm run editor` writes: ln=15, r=8, p=3.
  writeFileSync(join(dir, 'editors'), `alice:${await hashPassword('correct horse battery staple')}\n`)
  server = await ServerProcess.start({
    args: [...startScriptNodeFlags(join(ROOT, 'package.json')), join(ROOT, 'dist', 'server.js')],
    cwd: ROOT,
    env: {
      MONGODB_URI: mongodbUri,
      LOG_LEVEL: 'warn',
      EDITORS_FILE: join(dir, 'editors'),
      SESSION_SECRET: newKey(),
      API_KEYS: `ci=${newKey()}`,
      MEMORY_LIMIT_MB: String(MEMORY_LIMIT_MB),
      // The attackers' addresses come in X-Forwarded-For, as from many clients behind a proxy.
      TRUST_PROXY: 'loopback',
    },
    logPath: join(dir, 'server.log'),
  })
}, 120_000)

afterAll(async () => {
  await server?.stop(5_000)
  await (await openItems(mongodbUri)).dropAndClose()
  rmSync(dir, { recursive: true, force: true })
})

describe('sign-in traffic', () => {
  it(`${ATTACKERS} wrong sign-ins at once for ${ATTACK_MS / 1000} s: no read shed, peak RSS under ${SHED_AT_MB} MB`, async () => {
    if (server === undefined) throw new Error('the server did not start')
    const { baseUrl, pid } = server
    const restingKb = procStatusKb(pid, 'VmRSS')
    const cpuBefore = await cpuMs(pid)
    const deadline = Date.now() + ATTACK_MS
    const answers: Record<string, number> = {}
    const count = (what: string): void => {
      answers[what] = (answers[what] ?? 0) + 1
    }
    let attempts = 0
    /** One wrong sign-in from an address of its own: the form, then the POST. */
    async function attempt(n: number): Promise<void> {
      const visitor = new Visitor(baseUrl, { 'x-forwarded-for': `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` })
      const page = await visitor.get('/signin')
      if (page.status !== 200) {
        count(`form ${page.status}`)
        return
      }
      const answer = await visitor.postForm('/signin', { name: `stranger${n}`, password: 'not the password', _csrf: csrfToken(page.text) })
      count(String(answer.status))
    }
    const attackers = Array.from({ length: ATTACKERS }, async () => {
      // Bounded: at most 200 attempts each.
      for (let i = 0; i < 200 && Date.now() < deadline; i++) {
        await attempt(attempts++).catch((error: unknown) => {
          count(`no answer: ${error instanceof Error ? error.message : String(error)}`)
        })
      }
    })
    const reads: Record<string, number> = {}
    const reader = (async () => {
      while (Date.now() < deadline) {
        const status = await get(baseUrl, '/catalogue/').then(
          (answer) => String(answer.status),
          () => 'no answer',
        )
        reads[status] = (reads[status] ?? 0) + 1
        await sleep(READ_EVERY_MS)
      }
    })()
    await Promise.all([...attackers, reader])
    const peakKb = procStatusKb(pid, 'VmHWM')
    const cpu = (await cpuMs(pid)) - cpuBefore
    const checked = answers['422'] ?? 0
    process.stderr.write(
      `[load] sign-in: ${attempts} attempts by ${ATTACKERS} at once, answers ${JSON.stringify(answers)}; catalogue reads ${JSON.stringify(reads)}; ` +
        `RSS at rest ${(restingKb / 1024).toFixed(0)} MB, peak (VmHWM) ${(peakKb / 1024).toFixed(0)} MB; ` +
        `server CPU ${(cpu / 1000).toFixed(1)} s, ${(cpu / Math.max(1, checked)).toFixed(0)} ms per checked password\n`,
    )
    expect(Object.keys(reads)).toEqual(['200'])
    expect(checked).toBeGreaterThan(0)
    expect(Object.keys(answers).filter((status) => !['422', '503'].includes(status))).toEqual([])
    expect(peakKb / 1024).toBeLessThan(SHED_AT_MB)
  }, 120_000)
})
