// Adds one plain closing line after vitest's own summary, so tools that read a run's last lines (CI among
// them) can count the tests without knowing vitest: "Tests: N passed, N failed, N skipped". A test file that
// failed to load, or whose set-up (a beforeAll) failed, counts once, as "files: N failed to load or set up",
// and its tests that did not run count as "not run", not as skipped; so the last line never reads clean when
// the run was not.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

export default class SummaryLine implements Reporter {
  /** Why the database tests did not run, when they could not (the run then fails). */
  constructor(private readonly notRun?: string) {}

  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    let brokenFiles = 0
    let notRun = 0
    for (const module of testModules) {
      const broken = module.errors().length > 0 || [...module.children.allSuites()].some((suite) => suite.errors().length > 0)
      if (broken) brokenFiles++
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else if (broken && test.options.mode !== 'skip' && test.options.mode !== 'todo') notRun++
        else counts.skipped++
      }
    }
    const problems = [
      brokenFiles > 0 && `files: ${brokenFiles} failed to load or set up${notRun > 0 ? ` (${notRun} tests not run)` : ''}`,
      unhandledErrors.length > 0 && `errors: ${unhandledErrors.length}`,
      this.notRun !== undefined && `not run: ${this.notRun}`,
    ].filter((problem) => problem !== false)
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${problems.length > 0 ? `; ${problems.join('; ')}` : ''}\n`)
    if (this.notRun !== undefined) process.exitCode = 1
  }
}
