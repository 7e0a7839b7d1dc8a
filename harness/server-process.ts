// A built server (dist/server.js, or the bench's ceiling) in a child node process on a free loopback port,
// its output in a log file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { resolve } from 'node:path'
import { waitUntilReady } from './http.js'
import { freeLoopbackPort } from './ports.js'
import { hasExited, stopChild, tail, track } from './process.js'

export interface ServerSpec {
  /** node's arguments, e.g. ['dist/server.js'] */
  args: string[]
  env: Record<string, string>
  logPath: string
  cwd?: string
  /** Wait until /readyz answers 200 (the default), at most 2 minutes. */
  waitForReady?: boolean
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Date.now() at the exit */
  at: number
}

export class ServerProcess {
  readonly baseUrl: string
  /** Spawn to the first /readyz 200, in ms (0 when not waited for). */
  startupMs = 0
  readonly exited: Promise<Exit>

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly logPath: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal, at: Date.now() })
      })
    })
  }

  static async start(spec: ServerSpec): Promise<ServerProcess> {
    const port = await freeLoopbackPort()
    const log = openSync(spec.logPath, 'a')
    const started = performance.now()
    const child = track(
      spawn(process.execPath, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', log, log],
      }),
    )
    closeSync(log)
    const server = new ServerProcess(child, port, spec.logPath)
    if (spec.waitForReady ?? true) {
      const exitedEarly = server.exited.then((exit) => Promise.reject(new Error(`exited at start (${exit.code ?? exit.signal ?? '?'})`)))
      exitedEarly.catch(() => undefined)
      try {
        await Promise.race([waitUntilReady(server.baseUrl, 120_000, 5), exitedEarly])
      } catch (error) {
        await server.stop()
        throw new Error(`node ${spec.args.join(' ')}: ${error instanceof Error ? error.message : String(error)}\n${server.tail()}`)
      }
      server.startupMs = performance.now() - started
    }
    return server
  }

  get pid(): number {
    return this.child.pid ?? 0
  }

  get running(): boolean {
    return !hasExited(this.child)
  }

  tail(lines = 20): string {
    return tail(this.logPath, lines)
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (the service promises 0). */
  async stop(graceMs = 15_000): Promise<number | null> {
    return stopChild(this.child, graceMs)
  }
}

/** dist/ built from the current sources, as `npm start`'s prestart makes sure of (scripts/build-if-needed.js). */
export function buildIfNeeded(): void {
  const build = spawnSync(process.execPath, ['scripts/build-if-needed.js'], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`scripts/build-if-needed.js failed:\n${build.stdout}${build.stderr}`)
}
