// A FerretDB process of a test's own, on a free loopback port with its SQLite files in a temp dir that
// outlives restarts, so a test can stop the database and start it again with the same data.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freeLoopbackPort } from './ports.js'
import type { StoppableDatabase } from './stoppable-database.js'

const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000

/**
 * FerretDB's flags for a local, private instance: SQLite files in `dataDir`, loopback only, and nothing that
 * reaches out (telemetry, debug endpoint, state dir). The bench uses the same flags.
 */
export function ferretDbArgs(dataDir: string, port: number): string[] {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable',
    '--debug-addr=-',
    '--state-dir=-',
    '--log-level=warn',
  ]
}

/** Where .ci/install-ferretdb.sh puts the binary (GOPATH/bin); FERRETDB_BIN overrides. */
export function ferretDbBinaryPath(): string {
  const fromEnv = process.env.FERRETDB_BIN
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), 'go', 'bin', 'ferretdb')
}

/** The FerretDB binary, or undefined when there is none where ferretDbBinaryPath() points. */
export function findFerretDbBinary(): string | undefined {
  const bin = ferretDbBinaryPath()
  return existsSync(bin) ? bin : undefined
}

async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

/** A FerretDB process of its own from `bin` (see findFerretDbBinary), already started. */
export async function createFerretDb(bin: string): Promise<StoppableDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'item-store-ferretdb-'))
  const port = await freeLoopbackPort()
  let child: ChildProcess | undefined
  let output = ''

  async function start(): Promise<void> {
    if (child !== undefined) throw new Error('FerretDB is already running')
    output = ''
    const proc = spawn(bin, ferretDbArgs(dataDir, port), { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000)
    }
    proc.stdout.on('data', keep)
    proc.stderr.on('data', keep)
    child = proc
    proc.once('exit', () => {
      if (child === proc) child = undefined
    })
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) break
      if (await acceptsConnections(port)) return
      await sleep(50)
    }
    await stop()
    throw new Error(`FerretDB did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${output}`)
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = child
    if (proc === undefined) return
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve()
      })
    })
    proc.kill(signal)
    const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)
    if ((await Promise.race([exited, timer])) === 'timeout') {
      proc.kill('SIGKILL')
      await exited
    }
    child = undefined
  }

  await start()
  const uri = `mongodb://127.0.0.1:${port}/`
  return {
    port,
    uri,
    dbUri: (name) => `${uri}${name}`,
    running: () => child !== undefined,
    start,
    stop,
    async pause() {
      child?.kill('SIGSTOP')
    },
    async resume() {
      child?.kill('SIGCONT')
    },
    async dispose() {
      await stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
