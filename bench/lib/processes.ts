// The bench's view of the processes it runs (started through harness/): CPU time and memory (pidusage), the
// kernel's high-water mark of memory, and each server's log, drained between phases.
import { mkdtempSync, readFileSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pidusage from 'pidusage'
import { removeScratch, trackScratch } from '../../harness/process.js'
import { ServerProcess } from '../../harness/server-process.js'

export class BenchSetupError extends Error {
  override name = 'BenchSetupError'
}

export function makeWorkDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'item-store-bench-'))
  trackScratch(path)
  return {
    path,
    remove: () => {
      removeScratch(path)
    },
  }
}

/** The kernel's high-water mark of a process's resident memory (VmHWM, which pidusage does not read), in kB. */
function hwmKb(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] === undefined ? 0 : Number(match[1])
  } catch {
    return 0
  }
}

/**
 * node's flags in package.json's `start` script (`node <flags> dist/server.js`), so the bench runs the service
 * as `npm start` does; the Dockerfile's CMD repeats them (test/scripts/start-flags.test.ts checks both agree).
 */
export function startScriptNodeFlags(packageJsonPath: string): string[] {
  const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { scripts?: Record<string, string> }
  const match = /^node((?:\s+--\S+)*)\s+dist\/server\.js$/.exec(pkg.scripts?.start?.trim() ?? '')
  if (match === null) throw new BenchSetupError('package.json\'s start script is not `node [--flags] dist/server.js`')
  return (match[1] ?? '').trim().split(/\s+/).filter((flag) => flag !== '')
}

/** CPU time (user + system) a process has used so far, in ms; 0 when it is gone. */
export async function cpuMs(pid: number): Promise<number> {
  return pidusage(pid).then(
    (stat) => stat.ctime,
    () => 0,
  )
}

/** Resident memory of a process now, in kB; 0 when it is gone. */
export async function rssKb(pid: number): Promise<number> {
  return pidusage(pid).then(
    (stat) => stat.memory / 1024,
    () => 0,
  )
}

/** Closes the files pidusage keeps open between calls (at the end of a run). */
export function stopUsageSampling(): void {
  pidusage.clear()
}

/** Waits until none of `pids` uses more than ~20 % of a CPU (e.g. queries a load run left behind), at most `maxMs`. */
export async function settle(pids: number[], maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs
  let before = await Promise.all(pids.map(cpuMs))
  while (Date.now() < deadline) {
    await sleep(200)
    const now = await Promise.all(pids.map(cpuMs))
    const busy = now.some((value, i) => value - (before[i] ?? 0) > 40)
    before = now
    if (!busy) return
  }
}

/** A server under load (harness/server-process.ts), with its peak memory sampled. */
export class BenchServer {
  peakRssKb = 0
  private sampler: NodeJS.Timeout | undefined
  private stopping = false

  private constructor(
    readonly label: string,
    private readonly process: ServerProcess,
  ) {}

  static async start(label: string, args: string[], env: Record<string, string>, workDir: string): Promise<BenchServer> {
    try {
      return new BenchServer(label, await ServerProcess.start({ args, env, logPath: join(workDir, `${label}.log`) }))
    } catch (error) {
      throw new BenchSetupError(`${label}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  get baseUrl(): string {
    return this.process.baseUrl
  }

  get pid(): number {
    return this.process.pid
  }

  get startupMs(): number {
    return this.process.startupMs
  }

  /** Throws when the process died on its own (a crash under load). */
  assertAlive(): void {
    if (!this.stopping && !this.process.running) {
      const { exitCode, signalCode } = this.process.child
      throw new Error(`${this.label} (pid ${this.pid}) exited unexpectedly (code ${exitCode ?? signalCode ?? '?'}):\n${this.process.tail()}`)
    }
  }

  startSampling(everyMs = 100): void {
    this.stopSampling()
    this.sampler = setInterval(() => {
      void rssKb(this.pid).then((kb) => {
        this.peakRssKb = Math.max(this.peakRssKb, kb)
      })
    }, everyMs)
    this.sampler.unref()
  }

  stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler)
    this.sampler = undefined
  }

  /** The kernel's high-water mark of resident memory since the process started. */
  hwmKb(): number {
    return hwmKb(this.pid)
  }

  /** Log lines written since the last call, and up to 5 error lines; empties the log so a long run does not fill the disk. */
  drainLog(): { lines: number; errorLines: string[] } {
    let text = ''
    try {
      text = readFileSync(this.process.logPath, 'utf8')
      truncateSync(this.process.logPath, 0)
    } catch {
      return { lines: 0, errorLines: [] }
    }
    const lines = text === '' ? [] : text.trimEnd().split('\n')
    // pino levels: 50 error, 60 fatal
    const errorLines = lines.filter((line) => /"level":(50|60)/.test(line)).slice(0, 5)
    return { lines: lines.length, errorLines }
  }

  /** SIGTERM and wait; returns the exit code (the service promises 0 after a graceful close). */
  async stop(): Promise<number | null> {
    this.stopping = true
    this.stopSampling()
    return this.process.stop()
  }
}
