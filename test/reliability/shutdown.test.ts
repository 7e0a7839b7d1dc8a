// Graceful shutdown under load: the built server runs as a child process, clients keep creating, and it
// gets SIGTERM mid-flight. It must exit 0 within 10 s, finish what it was already doing, and every create
// it answered 201 must be in the database; every create it refused must not be.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MongoClient } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitUntilReady } from '../helpers/app.js'
import { testDbUri } from '../helpers/db.js'
import { freeLoopbackPort } from '../helpers/ports.js'

const ROOT = resolve(import.meta.dirname, '../..')
// Built into a temp copy of the project's layout rather than dist/, which another run may be rebuilding
// at the same moment: dist/ beside links to public/ (found as ../public) and node_modules/, and
// package.json for "type": "module".
let buildRoot = ''
const EXIT_BOUND_MS = 10_000
// Load bounds: at most this many creates, for at most this long, from this many clients.
const MAX_REQUESTS = 2_000
const MAX_LOAD_MS = 10_000
const CLIENTS = 8
// SIGTERM once this many creates were acknowledged (or after SIGTERM_AT_MS, whichever comes first).
const SIGTERM_AFTER_ACKS = 200
const SIGTERM_AT_MS = 3_000

type Outcome = 'acknowledged' | 'refused' | 'not sent' | 'unknown'

interface Attempt {
  name: string
  priceCents: number
  beforeSigterm: boolean
  outcome?: Outcome
  status?: number
  /** The `detail` of an answer other than 201. */
  detail?: unknown
}

let child: ChildProcess | undefined
let mongo: MongoClient | undefined

beforeAll(async () => {
  buildRoot = await mkdtemp(join(tmpdir(), 'item-store-shutdown-'))
  await symlink(join(ROOT, 'public'), join(buildRoot, 'public'))
  await symlink(join(ROOT, 'node_modules'), join(buildRoot, 'node_modules'))
  await copyFile(join(ROOT, 'package.json'), join(buildRoot, 'package.json'))
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const outDir = join(buildRoot, 'dist')
  // --noCheck: emit only (isolatedModules makes that safe); type checking is CI's own step.
  const build = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--noCheck'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (build.status !== 0) throw new Error(`building the server failed:\n${build.stdout}\n${build.stderr}`)
}, 130_000)

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await mongo?.close()
  if (buildRoot !== '') await rm(buildRoot, { recursive: true, force: true })
})

/** fetch failures: a refused connection means the request was never sent; anything else is unknown. */
function classifyFailure(err: unknown): Outcome {
  const cause = (err as { cause?: { code?: string } }).cause
  return cause?.code === 'ECONNREFUSED' ? 'not sent' : 'unknown'
}

describe('shutdown under load', () => {
  it('exits 0 within 10 s of SIGTERM, finishes requests in flight, and stores every acknowledged create', async () => {
    const mongodbUri = testDbUri('shutdown')
    const port = await freeLoopbackPort()
    const base = `http://127.0.0.1:${port}`
    let output = ''
    const proc = spawn(process.execPath, [join(buildRoot, 'dist', 'server.js')], {
      cwd: ROOT,
      // RATE_LIMIT_CREATES=0: the load here is one client address far over the default 120 creates a minute.
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: mongodbUri, LOG_LEVEL: 'warn', RATE_LIMIT_CREATES: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    proc.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)))
    proc.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) => {
      proc.once('exit', (code, signal) => {
        done({ code, signal, at: Date.now() })
      })
    })
    await waitUntilReady(base, 30_000)

    const attempts: Attempt[] = []
    const state = { sigtermAt: 0, stopped: false }
    const loadStarted = Date.now()
    let acked = 0

    async function client(id: number): Promise<void> {
      for (let i = 0; !state.stopped && attempts.length < MAX_REQUESTS && Date.now() - loadStarted < MAX_LOAD_MS; i++) {
        const attempt: Attempt = { name: `load-${id}-${i}`, priceCents: id * 100_000 + i, beforeSigterm: state.sigtermAt === 0 }
        attempts.push(attempt)
        try {
          const response = await fetch(`${base}/items/new/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: attempt.name, price: attempt.priceCents / 100 }),
          })
          const text = await response.text()
          attempt.status = response.status
          if (response.status !== 201) attempt.detail = (JSON.parse(text) as { detail?: unknown }).detail
          attempt.outcome = response.status === 201 ? 'acknowledged' : 'refused'
          if (response.status === 201) acked++
        } catch (err) {
          attempt.outcome = classifyFailure(err)
          // The server is gone: this client is done.
          if (attempt.outcome === 'not sent') return
        }
      }
    }

    // One request caught mid-body by SIGTERM: headers sent before it, the rest of the body after.
    const slowBody = JSON.stringify({ name: 'in-flight', price: 42.42 })
    const slow = connect(port, '127.0.0.1')
    let slowAnswer = ''
    slow.on('data', (chunk: Buffer) => (slowAnswer += chunk.toString()))
    slow.on('error', () => undefined)
    // Node aborts a request whose client half-closes, so the socket is never ended from this side; it is
    // destroyed once the answer is in (or the server closes it).
    const slowAnswered = new Promise<void>((done) => {
      slow.on('data', () => {
        if (slowAnswer.includes('\r\n\r\n')) slow.destroy()
      })
      slow.once('close', () => {
        done()
      })
    })

    const clients = Array.from({ length: CLIENTS }, (_, id) => client(id))
    // Wait for enough acknowledged creates (bounded by time), then start the slow request and SIGTERM.
    while (acked < SIGTERM_AFTER_ACKS && Date.now() - loadStarted < SIGTERM_AT_MS) await new Promise((r) => setTimeout(r, 20))
    slow.write(
      `POST /items/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${slowBody.length}\r\n\r\n${slowBody.slice(0, 10)}`,
    )
    await new Promise((r) => setTimeout(r, 200))
    state.sigtermAt = Date.now()
    proc.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    slow.write(slowBody.slice(10))

    const giveUp = new Promise<null>((r) => setTimeout(r, EXIT_BOUND_MS + 5_000, null))
    const exit = await Promise.race([exited, giveUp])
    state.stopped = true
    await Promise.all(clients)
    await slowAnswered
    expect(exit, `the server did not exit within ${EXIT_BOUND_MS + 5_000} ms:\n${output}`).not.toBeNull()
    if (exit === null) return
    const exitMs = exit.at - state.sigtermAt
    expect({ code: exit.code, signal: exit.signal }, output).toEqual({ code: 0, signal: null })
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS)

    // The request in flight at SIGTERM was finished and answered.
    expect(slowAnswer).toMatch(/^HTTP\/1\.1 201 /)

    mongo = new MongoClient(mongodbUri, { serverSelectionTimeoutMS: 5_000 })
    await mongo.connect()
    const stored = new Map<string, number>()
    for await (const doc of mongo.db().collection<{ _id: string; priceCents: unknown }>('items').find({})) {
      stored.set(doc._id, Number(doc.priceCents))
    }
    expect(stored.get('in-flight')).toBe(4242)

    const count = (outcome: Outcome): Attempt[] => attempts.filter((a) => a.outcome === outcome)
    const acknowledged = count('acknowledged')
    const lost = acknowledged.filter((a) => stored.get(a.name) !== a.priceCents)
    expect(lost.map((a) => a.name)).toEqual([])
    // Refused with an answer (503 while closing) or never sent: no trace.
    const refused = [...count('refused'), ...count('not sent')]
    expect(refused.filter((a) => stored.has(a.name)).map((a) => `${a.name} ${String(a.status)}`)).toEqual([])
    expect(count('refused').every((a) => a.status === 503)).toBe(true)
    // A 503 while closing is an error like any other: JSON with a detail.
    expect(count('refused').every((a) => typeof a.detail === 'string')).toBe(true)
    // Reset without an answer: may or may not be stored, which is why a client must retry idempotently.
    const unknown = count('unknown')
    const unknownStored = unknown.filter((a) => stored.has(a.name)).length
    const unknownEarly = unknown.filter((a) => a.beforeSigterm).length
    // Everything stored was asked for.
    const asked = new Set(attempts.map((a) => a.name).concat('in-flight'))
    expect([...stored.keys()].filter((name) => !asked.has(name))).toEqual([])
    expect(attempts.length).toBeLessThanOrEqual(MAX_REQUESTS + CLIENTS)

    process.stderr.write(
      `[reliability] shutdown: ${attempts.length} creates, ${acknowledged.length} acknowledged (all stored), ` +
        `${count('refused').length} refused with 503, ${count('not sent').length} connection refused (none stored), ` +
        `${unknown.length} reset without an answer (${unknownEarly} sent before SIGTERM, ${unknownStored} stored); exit 0 ${exitMs} ms after SIGTERM\n`,
    )
  })
})
