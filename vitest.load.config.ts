// `npm run test:load`: the tests that measure latency or memory under load (test/load/), one file at a time and
// alone on the machine, after `npm test`. Each prints its figures; docs/testing.md says what they bound.
import { defineConfig } from 'vitest/config'
import SummaryLine from './test/setup/summary-reporter.js'

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/load/**/*.test.ts'],
    globalSetup: ['test/setup/mongo-server.ts'],
    reporters: ['default', new SummaryLine()],
    // One file at a time: each saturates the CPU or the database on purpose.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
})
