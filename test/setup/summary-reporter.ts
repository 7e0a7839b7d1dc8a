// Adds one plain closing line, "Tests: N passed, N failed, N skipped", after vitest's own summary, so
// tools that read a run's last lines (CI among them) can count the tests without knowing vitest.
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryLine implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
    }
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
