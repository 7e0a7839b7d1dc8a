// Child processes of a bench run: the database server (FerretDB, unless MONGODB_URI is given), the
// service and the ceiling. Every child is stopped by its own pid; memory is read from /proc.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MongoClient } from 'mongodb'
import { ferretDbArgs } from '../../test/helpers/ferretdb.js'

// Every child the bench started and has not stopped, so an interrupted run can still stop them.
const liveChildren = new Set<ChildProcess>()

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  return child
}

// Directories to remove if the run is interrupted (the database's files on tmpfs hold memory).
const scratchDirs = new Set<string>()

/** On SIGINT/SIGTERM: SIGTERM to every child still running (each by its own pid), scratch dirs removed. */
export function killChildren(): void {
  for (const child of liveChildren) child.kill('SIGTERM')
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
}

export class BenchSetupError extends Error {
  override name = 'BenchSetupError'
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released again before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => {
        resolve(port)
      })
    })
  })
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false)
    }, ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
async function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  child.kill('SIGTERM')
  if (!(await waitForExit(child, graceMs))) {
    child.kill('SIGKILL')
    await waitForExit(child, 5_000)
  }
  return child.exitCode
}

export interface DatabaseServer {
  /** Base URI without a database name. */
  uri: string
  /** The server's pid when the bench started it (for CPU figures), else undefined. */
  pid: number | undefined
  description: string
  stop(): Promise<void>
}

function findFerretDb(): string {
  const candidates = [
    process.env.FERRETDB_BIN,
    process.env.GOBIN === undefined ? undefined : join(process.env.GOBIN, 'ferretdb'),
    process.env.GOPATH === undefined ? undefined : join(process.env.GOPATH, 'bin', 'ferretdb'),
    join(homedir(), 'go', 'bin', 'ferretdb'),
  ].filter((path): path is string => path !== undefined && path !== '')
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // try the next place
    }
  }
  throw new BenchSetupError(
    `FerretDB is not installed (looked for ${candidates.join(', ')}).\n` +
      'Install it with `bash .ci/install-ferretdb.sh`, or point the bench at a running server with MONGODB_URI=mongodb://host:port/',
  )
}

async function ping(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 })
  try {
    await client.db('admin').command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.close()
  }
}

/** MONGODB_URI when given (the bench only creates and drops its own bench_* databases there), else a FerretDB of our own. */
export async function startDatabase(workDir: string): Promise<DatabaseServer> {
  const given = process.env.MONGODB_URI
  if (given !== undefined && given !== '') {
    if (!(await ping(given))) throw new BenchSetupError(`MONGODB_URI=${given} does not answer a ping`)
    return { uri: given, pid: undefined, description: `given server ${given.replace(/\/\/[^@/]*@/, '//***@')}`, stop: async () => undefined }
  }
  const bin = findFerretDb()
  const port = await freePort()
  // SQLite on tmpfs when there is one: the bench measures the service's own cost, and disk flushes
  // competing with other work on the machine otherwise stall single inserts past 1.5 s (seen: 1.9 s).
  const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : workDir, 'item-store-bench-db-'))
  scratchDirs.add(dataDir)
  const logPath = join(workDir, 'ferretdb.log')
  const log = openSync(logPath, 'a')
  const child = track(spawn(bin, ferretDbArgs(dataDir, port), { stdio: ['ignore', log, log] }))
  closeSync(log)
  const uri = `mongodb://127.0.0.1:${port}/`
  const deadline = Date.now() + 30_000
  while (!(await ping(uri))) {
    if (child.exitCode !== null) {
      rmSync(dataDir, { recursive: true, force: true })
      throw new BenchSetupError(`FerretDB exited at start:\n${tail(logPath)}`)
    }
    if (Date.now() > deadline) {
      await stopChild(child, 2_000)
      rmSync(dataDir, { recursive: true, force: true })
      throw new BenchSetupError(`FerretDB did not answer within 30 s:\n${tail(logPath)}`)
    }
    await sleep(100)
  }
  return {
    uri,
    pid: child.pid,
    description: `own FerretDB (${bin}, sqlite in ${dataDir.startsWith('/dev/shm') ? 'tmpfs' : 'a temp dir'}, 127.0.0.1:${port})`,
    stop: async () => {
      await stopChild(child, 10_000)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export function makeWorkDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'item-store-bench-'))
  scratchDirs.add(path)
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true })
    },
  }
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] === undefined ? 0 : Number(match[1])
  } catch {
    return 0
  }
}

/** CPU time (user + system) a process has used so far, in ms; 0 when it is gone or not on Linux. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the file, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}

/** Waits until none of `pids` uses more than ~20 % of a CPU (e.g. queries a load run left behind), at most `maxMs`. */
export async function settle(pids: number[], maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs
  let before = pids.map(cpuMs)
  while (Date.now() < deadline) {
    await sleep(200)
    const now = pids.map(cpuMs)
    const busy = now.some((value, i) => value - (before[i] ?? 0) > 40)
    before = now
    if (!busy) return
  }
}

export interface ServerSpec {
  label: string
  /** node arguments, e.g. ['dist/server.js'] */
  args: string[]
  env: Record<string, string>
  workDir: string
}

/** An HTTP server in a child node process, ready once /readyz answers 200. */
export class ServerProcess {
  readonly baseUrl: string
  startupMs = 0
  peakRssKb = 0
  private sampler: NodeJS.Timeout | undefined
  private exitedUnexpectedly = false
  private stopping = false

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logPath: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`
    child.once('exit', () => {
      if (!this.stopping) this.exitedUnexpectedly = true
    })
  }

  static async start(spec: ServerSpec): Promise<ServerProcess> {
    const port = await freePort()
    const logPath = join(spec.workDir, `${spec.label}.log`)
    const log = openSync(logPath, 'a')
    const started = performance.now()
    const child = track(
      spawn(process.execPath, spec.args, {
        // The create limit (RATE_LIMIT_CREATES, default 120 a minute per client) is off: the load comes from one address.
        env: { ...process.env, ...spec.env, PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_CREATES: '0' },
        stdio: ['ignore', log, log],
      }),
    )
    closeSync(log)
    const server = new ServerProcess(spec.label, child, port, logPath)
    const deadline = Date.now() + 30_000
    for (;;) {
      if (server.exitedUnexpectedly) throw new BenchSetupError(`${spec.label} exited at start:\n${tail(logPath)}`)
      try {
        const response = await fetch(`${server.baseUrl}/readyz`)
        await response.arrayBuffer()
        if (response.status === 200) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop()
        throw new BenchSetupError(`${spec.label} was not ready within 30 s:\n${tail(logPath)}`)
      }
      await sleep(5)
    }
    server.startupMs = performance.now() - started
    return server
  }

  get pid(): number {
    return this.child.pid ?? 0
  }

  /** Throws when the process died on its own (a crash under load). */
  assertAlive(): void {
    if (this.exitedUnexpectedly || this.child.exitCode !== null) {
      throw new Error(`${this.label} (pid ${this.pid}) exited unexpectedly (code ${this.child.exitCode ?? this.child.signalCode ?? '?'}):\n${tail(this.logPath)}`)
    }
  }

  startSampling(everyMs = 100): void {
    this.stopSampling()
    this.sampler = setInterval(() => {
      this.peakRssKb = Math.max(this.peakRssKb, procStatusKb(this.pid, 'VmRSS'))
    }, everyMs)
    this.sampler.unref()
  }

  stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler)
    this.sampler = undefined
    this.peakRssKb = Math.max(this.peakRssKb, procStatusKb(this.pid, 'VmRSS'))
  }

  /** The kernel's high-water mark of resident memory since the process started. */
  hwmKb(): number {
    return procStatusKb(this.pid, 'VmHWM')
  }

  /** Log bytes and lines written since the last call; empties the log so a long run does not fill the disk. */
  drainLog(): { bytes: number; lines: number; errorLines: string[] } {
    let text = ''
    try {
      text = readFileSync(this.logPath, 'utf8')
      truncateSync(this.logPath, 0)
    } catch {
      return { bytes: 0, lines: 0, errorLines: [] }
    }
    const lines = text === '' ? [] : text.trimEnd().split('\n')
    // pino levels: 50 error, 60 fatal
    const errorLines = lines.filter((line) => /"level":(50|60)/.test(line)).slice(0, 5)
    return { bytes: Buffer.byteLength(text), lines: lines.length, errorLines }
  }

  logSize(): number {
    try {
      return statSync(this.logPath).size
    } catch {
      return 0
    }
  }

  /** SIGTERM and wait; returns the exit code (the service promises 0 after a graceful close). */
  async stop(): Promise<number | null> {
    this.stopping = true
    this.stopSampling()
    return stopChild(this.child, 15_000)
  }
}
