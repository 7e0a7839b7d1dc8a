// A FerretDB process of our own on a free loopback port. Its SQLite files live in a scratch directory that
// outlives a stop, so the process can be killed (as in a crash) and started again with the same data.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MongoClient } from 'mongodb'
import { ping, type StoppableDatabase } from './database-server.js'
import { freeLoopbackPort } from './ports.js'
import { hasExited, removeScratch, stopChild, tail, track, trackScratch } from './process.js'

const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000
// A free port can be taken by another test file's server between our look and FerretDB's bind.
const PORT_ATTEMPTS = 5

/** The pid of the server answering at `uri` (FerretDB reports it in serverStatus, as MongoDB does). */
async function serverPid(uri: string): Promise<number | undefined> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000, directConnection: true })
  try {
    const status = await client.db('admin').command({ serverStatus: 1 })
    return typeof status.pid === 'number' ? status.pid : undefined
  } catch {
    return undefined
  } finally {
    await client.close().catch(() => undefined)
  }
}

class PortTakenError extends Error {}

/**
 * Resolves once every thread of `pid` is stopped. SIGSTOP takes effect when the thread it went to next runs,
 * which on a busy machine can be after another of FerretDB's threads has answered a query; Linux only (procfs),
 * elsewhere at once.
 */
async function allThreadsStopped(pid: number, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const state = (tid: string): string => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    return stat.charAt(stat.lastIndexOf(')') + 2)
  }
  while (Date.now() < deadline) {
    try {
      if (readdirSync(`/proc/${pid}/task`).every((tid) => 'tT'.includes(state(tid)))) return
    } catch {
      return
    }
    await sleep(5)
  }
  throw new Error(`FerretDB (pid ${pid}) did not stop within ${timeoutMs} ms of SIGSTOP`)
}

/** The settings every FerretDB of this project runs with, from harness/ferretdb.env. */
export function ferretDbEnv(): Record<string, string> {
  const text = readFileSync(new URL('ferretdb.env', import.meta.url), 'utf8')
  const env: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim())
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? ''
  }
  return env
}

/** Where a FerretDB binary may be, in order: FERRETDB_BIN, then where `go install` puts it. */
export function ferretDbCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    env.FERRETDB_BIN,
    env.GOBIN === undefined || env.GOBIN === '' ? undefined : join(env.GOBIN, 'ferretdb'),
    env.GOPATH === undefined || env.GOPATH === '' ? undefined : join(env.GOPATH, 'bin', 'ferretdb'),
    join(homedir(), 'go', 'bin', 'ferretdb'),
  ].filter((path): path is string => path !== undefined && path !== '')
}

/** The first executable FerretDB binary among ferretDbCandidates(), or undefined. */
export function findFerretDb(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return ferretDbCandidates(env).find((path) => {
    try {
      accessSync(path, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** Starts FerretDB from `bin`; resolves once it answers a ping. */
export async function startFerretDb(bin: string): Promise<StoppableDatabase> {
  // tmpfs when there is one: disk flushes competing with other work on a busy machine otherwise stall
  // single inserts past the service's 1.5 s database bound.
  const scratch = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'item-store-ferretdb-'))
  trackScratch(scratch)
  const dataDir = join(scratch, 'data')
  await mkdir(dataDir)
  const logPath = join(scratch, 'ferretdb.log')
  let port = 0
  let uri = ''
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    if (child !== undefined && !hasExited(child)) throw new Error('FerretDB is already running')
    const log = openSync(logPath, 'a')
    const env = { ...process.env, ...ferretDbEnv(), FERRETDB_LISTEN_ADDR: `127.0.0.1:${port}`, FERRETDB_SQLITE_URL: `file:${dataDir}/` }
    const proc = track(spawn(bin, [], { env, stdio: ['ignore', log, log] }))
    closeSync(log)
    child = proc
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Date.now() < deadline && !hasExited(proc)) {
      if (await ping(uri, 500)) {
        // The answer must come from our process, not from another server that took the port first.
        if ((await serverPid(uri)) === proc.pid) return
        await stop('SIGKILL')
        throw new PortTakenError(`127.0.0.1:${port} is served by another process`)
      }
      await sleep(50)
    }
    await stop('SIGKILL')
    throw new Error(`FerretDB (${bin}) did not answer on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${tail(logPath)}`)
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (child !== undefined) await stopChild(child, STOP_TIMEOUT_MS, signal)
  }

  for (let attempt = 1; ; attempt++) {
    port = await freeLoopbackPort()
    uri = `mongodb://127.0.0.1:${port}/`
    try {
      await start()
      break
    } catch (error) {
      if (error instanceof PortTakenError && attempt < PORT_ATTEMPTS) continue
      removeScratch(scratch)
      throw error
    }
  }
  return {
    uri,
    port,
    description: `FerretDB ${bin} (SQLite in ${dataDir}, 127.0.0.1:${port})`,
    pid: () => child?.pid,
    running: () => child !== undefined && !hasExited(child),
    start,
    stop,
    freeze: async () => {
      if (child?.pid === undefined) return
      child.kill('SIGSTOP')
      await allThreadsStopped(child.pid)
    },
    thaw: async () => {
      child?.kill('SIGCONT')
    },
    async dispose() {
      await stop('SIGTERM')
      removeScratch(scratch)
    },
  }
}
