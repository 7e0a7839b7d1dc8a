import { defineConfig } from 'vitest/config'
import SummaryLine from './test/setup/summary-reporter.js'

// Two projects so that `vitest run test/unit` needs no database: the globalSetup that finds or starts a
// MongoDB-protocol server belongs to the `db` project only and runs only when one of its files is selected.
export default defineConfig({
  test: {
    environment: 'node',
    reporters: ['default', new SummaryLine()],
    // The machine has 2 cores and the database runs beside the tests.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // `npm run test:coverage` (CI): statement and branch coverage of src/ only, printed as a table.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text', 'text-summary'],
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
          globalSetup: ['test/setup/mongo-server.ts'],
        },
      },
    ],
  },
})
