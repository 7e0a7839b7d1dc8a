// Child processes the harness starts (FerretDB, the built server, the bench's ceiling): each is tracked
// until it exits, stopped by its own pid, and its output goes to a log file whose tail explains a failure.
import type { ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const liveChildren = new Set<ChildProcess>()
// Scratch directories to remove if the run is interrupted (a database's files on tmpfs hold memory).
const scratchDirs = new Set<string>()

export function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  return child
}

export function trackScratch(dir: string): void {
  scratchDirs.add(dir)
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  scratchDirs.delete(dir)
}

/** For a SIGINT/SIGTERM handler: SIGTERM to every child still running (each by its own pid), scratch removed. */
export function stopEverythingNow(): void {
  for (const child of liveChildren) child.kill('SIGTERM')
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return true
  const exited = new Promise<true>((resolve) => {
    child.once('exit', () => {
      resolve(true)
    })
  })
  return Promise.race([exited, sleep(ms, false)])
}

/** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
export async function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!hasExited(child)) {
    child.kill(signal)
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL')
      await waitForExit(child, 5_000)
    }
  }
  return child.exitCode
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
