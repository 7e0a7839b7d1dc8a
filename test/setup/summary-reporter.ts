// Adds one plain closing line after vitest's own summary, so tools that read a run's last lines (CI among
// them) can count the tests without knowing vitest: "Tests: N passed, N failed, N skipped", and, when a test
// file failed to load or set up, or test files could not run, "; files: ..." after it, so the last line
// never reads clean when the run was not.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

export default class SummaryLine implements Reporter {
  /** Why the database tests did not run, when they could not (the run then fails). */
  constructor(private readonly notRun?: string) {}

  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    let failedFiles = 0
    for (const module of testModules) {
      if (module.state() === 'failed') failedFiles++
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
    }
    const problems = [
      failedFiles > 0 && `files: ${failedFiles} failed`,
      unhandledErrors.length > 0 && `errors: ${unhandledErrors.length}`,
      this.notRun !== undefined && `not run: ${this.notRun}`,
    ].filter((problem) => problem !== false)
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${problems.length > 0 ? `; ${problems.join('; ')}` : ''}\n`)
    if (this.notRun !== undefined) process.exitCode = 1
  }
}
