// What a newcomer runs at the terminal, run as they would: `npm start` on a fresh clone (no dist/), `npm ci`
// on an unsupported Node, and `npm run dev` with no database. Each child runs in a process group of its own,
// stopped by that group's id, and every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freeLoopbackPort } from '../../harness/ports.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const scratch: string[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) await stopGroup(child)
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A copy of what a clone holds for running the service (no dist/), sharing this checkout's node_modules. */
function freshCopy(withNodeModules = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'item-store-clone-'))
  scratch.push(dir)
  for (const entry of ['src', 'scripts', 'public', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true })
  }
  if (withNodeModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

interface Run {
  child: ChildProcess
  output: () => string
}

/** Starts an npm command in its own process group, collecting stdout and stderr together. */
function npm(args: string[], cwd: string, env: Record<string, string>): Run {
  const child = spawn('npm', args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { child, output: () => text }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    return
  }
  if (!(await Promise.race([exited.then(() => true), sleep(10_000, false)]))) process.kill(-child.pid, 'SIGKILL')
}

/** Polls until `check` is true or `ms` have passed; says what it waited for when it gives up. */
async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what}`)
    await sleep(200)
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok
  } catch {
    return false
  }
}

// pino-pretty's colours (ESC [ ... m).
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
const stripColours = (text: string): string => text.replace(COLOUR, '')

describe('npm start on a fresh clone', () => {
  it('builds dist/ by itself first, then serves, with no stack trace', async () => {
    const dir = freshCopy()
    const port = await freeLoopbackPort()
    const closed = await freeLoopbackPort()
    const run = npm(['start'], dir, { PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: `mongodb://127.0.0.1:${closed}/items` })
    await waitFor('/healthz to answer after the build', 150_000, async () => {
      if (run.child.exitCode !== null) throw new Error(`npm start exited ${run.child.exitCode}:\n${run.output()}`)
      return answers(`http://127.0.0.1:${port}/healthz`)
    })
    expect(run.output()).toContain('item-store: dist/server.js is missing: building it first (npm run build).')
    expect(run.output()).not.toMatch(/Cannot find module|\n\s+at /)
    expect(existsSync(join(dir, 'dist/server.js'))).toBe(true)

    // Built and up to date: the prestart says nothing and builds nothing.
    const again = spawnSync(process.execPath, ['scripts/build-if-needed.js'], { cwd: dir, encoding: 'utf8', timeout: 180_000 })
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' })
  })

  it('says in one line what to run when dist/ is stale and TypeScript is not installed', () => {
    const dir = freshCopy(false)
    mkdirSync(join(dir, 'dist'))
    writeFileSync(join(dir, 'dist/server.js'), '')
    const past = new Date(Date.now() - 60_000)
    utimesSync(join(dir, 'dist/server.js'), past, past)
    const result = spawnSync(process.execPath, ['scripts/build-if-needed.js'], { cwd: dir, encoding: 'utf8', timeout: 180_000 })
    expect(result.status).toBe(1)
    expect(result.stderr).toBe('item-store: dist/server.js is older than the sources and TypeScript is not installed: run `npm ci`, then `npm start`.\n')
  })
})

describe('the Node version', () => {
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
  const minimum = /^>=(\d+)\.(\d+)$/.exec(engines)

  it('.nvmrc names a major that package.json accepts, and Node 20 (no Map.groupBy) is not accepted', () => {
    expect(minimum).not.toBeNull()
    const major = Number(minimum?.[1])
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()
    expect(nvmrc).toBe('24')
    expect(Number(nvmrc)).toBeGreaterThanOrEqual(major)
    expect(major).toBeGreaterThan(20)
  })

  it('npm ci refuses a Node below engines.node and names the version required (.npmrc: engine-strict)', () => {
    // The running Node stands in for an old one: the copy's package.json asks for the next major.
    const dir = freshCopy(false)
    const required = `>=${Number(process.versions.node.split('.')[0]) + 1}`
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { engines: { node: string } }
    pkg.engines.node = required
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg))
    const result = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('EBADENGINE')
    expect(result.stderr).toContain(`Required: {"node":"${required}"}`)
    expect(existsSync(join(dir, 'node_modules'))).toBe(false)
  })
})

describe('npm run dev with no database', () => {
  it('logs one line per try, naming the address and MONGODB_URI, with a growing delay', async () => {
    const port = await freeLoopbackPort()
    const closed = await freeLoopbackPort()
    const run = npm(['run', 'dev'], ROOT, { PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: `mongodb://127.0.0.1:${closed}/items`, LOG_LEVEL: 'info' })
    await waitFor('the server to listen', 90_000, () => run.output().includes('Server listening'))
    const logLines = (): string[] => stripColours(run.output()).split('\n').filter((line) => /^\[\d\d:\d\d:\d\d\.\d+\]/.test(line))
    // Five tries take about 1.5 s each (server selection) plus 250, 500, 1000, 2000 ms between them.
    await waitFor('a fourth try', 120_000, () => logLines().filter((line) => line.includes('not reachable')).length >= 4)
    // Besides the retries: the one warning at start that writes are open (docs/security.md).
    expect(logLines().filter((line) => line.includes('WARN: writes are open'))).toHaveLength(1)
    const lines = logLines().filter((line) => !line.includes('Server listening') && !line.includes('WARN: writes are open'))
    const retries = lines.map((line) => /WARN: database not reachable at (\S+) \(MONGODB_URI\): (.+); try (\d+) in (\d+) ms$/.exec(line))
    expect(retries.every((match) => match !== null), lines.join('\n')).toBe(true)
    expect(retries.map((match) => match?.[1])).toEqual(retries.map(() => `127.0.0.1:${closed}`))
    expect(retries[0]?.[2]).toContain('ECONNREFUSED')
    expect(retries.slice(0, 4).map((match) => [Number(match?.[3]), Number(match?.[4])])).toEqual([[2, 250], [3, 500], [4, 1000], [5, 2000]])
    // Whatever else was logged: no stack trace, no other line per try.
    expect(stripColours(run.output())).not.toMatch(/\n\s+at |MongooseServerSelectionError|topology/i)
  })
})
