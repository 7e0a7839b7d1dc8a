import { existsSync, globSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'
import SummaryLine from './test/setup/summary-reporter.js'

// Where a database can come from: MONGODB_URI, or a Docker engine for testcontainers.
function databaseSource(): string | undefined {
  if ((process.env.MONGODB_URI ?? '').trim() !== '') return 'MONGODB_URI'
  if ((process.env.DOCKER_HOST ?? '').trim() !== '') return 'DOCKER_HOST'
  const sockets = ['/var/run/docker.sock', join(process.env.XDG_RUNTIME_DIR ?? '/nonexistent', 'docker.sock')]
  return sockets.some((socket) => existsSync(socket)) ? 'Docker' : undefined
}

const NO_DATABASE = `
The tests that use a database will not run: there is no MONGODB_URI and no Docker engine here.
Any one of these gives them one:
  1. MONGODB_URI=mongodb://127.0.0.1:27017/ npm test    (a MongoDB or FerretDB you run; each test file uses a database of its own)
  2. a running Docker engine: testcontainers starts mongo:7 (DOCKER_HOST, or /var/run/docker.sock)
  3. TEST_MONGO_IMAGE=<local image> TEST_MONGO_NETWORK=host with DOCKER_HOST, as .ci/run does with its FerretDB image
The outage and stall tests also stop a database of their own: a FerretDB binary (bash .ci/install-ferretdb.sh) or Docker.
The unit tests run now; the run ends with a failure until a database is there.
`

const withDatabase = databaseSource() !== undefined
// The test files that need no database (project `unit`, `npm run test:unit`); test folders mirror src/, so this
// is a list rather than a folder. test/scripts: npm's scripts run as a person would (slower, but no database).
const UNIT_TESTS = [
  'test/config.test.ts',
  'test/load-limits-config.test.ts',
  'test/money.test.ts',
  'test/items/item-keys.test.ts',
  'test/auth/config.test.ts',
  'test/auth/editor-cli.test.ts',
  'test/http/validation.test.ts',
  'test/items/csv.test.ts',
  'test/views/amount-pattern.test.ts',
  'test/views/form-pages.test.ts',
  'test/views/html.test.ts',
  'test/scripts/npm-scripts.test.ts',
  'test/scripts/start-flags.test.ts',
]
// `npm run test:unit` (--project unit), or files of UNIT_TESTS only, ask for no database, so there is nothing
// to explain or fail.
const args = process.argv.slice(2)
const projectChosen = args.some((arg) => arg === '--project' || arg.startsWith('--project='))
// vitest selects the files whose path contains a filter given on the command line.
const filters = args.filter((arg) => !arg.startsWith('-') && arg !== 'run').map((arg) => arg.replace(/^\.\//, ''))
const selected = globSync('test/**/*.test.ts').filter((file) => filters.some((filter) => file.includes(filter)))
const noDatabaseFilesOnly = selected.length > 0 && selected.every((file) => UNIT_TESTS.includes(file))
const missingDatabase = !withDatabase && !projectChosen && !noDatabaseFilesOnly
if (missingDatabase) process.stderr.write(NO_DATABASE)

// Two projects so that the unit and view tests need no database: the globalSetup that finds or starts a
// MongoDB-protocol server belongs to the `db` project only and runs only when one of its files is selected.
export default defineConfig({
  test: {
    environment: 'node',
    reporters: ['default', new SummaryLine(missingDatabase ? 'no database: see the start of the output' : undefined)],
    // Few workers: the database server shares the machine with the tests (docs/testing.md).
    maxWorkers: 2,
    // Outer bounds only, generous so that a busy machine does not break them (4 CPU burners beside a 2-core
    // run): each test waits for what it awaits; what measures time belongs in test/load.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    // `npm run test:coverage` (CI): statement and branch coverage of src/ only, printed as a table.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text', 'text-summary'],
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT_TESTS },
      },
      ...(withDatabase
        ? [
            {
              extends: true as const,
              test: {
                name: 'db',
                include: ['test/**/*.test.ts'],
                // test/load runs alone, after the suite: npm run test:load (vitest.load.config.ts).
                exclude: [...UNIT_TESTS, 'test/load/**', '**/node_modules/**'],
                globalSetup: ['test/setup/mongo-server.ts'],
              },
            },
          ]
        : []),
    ],
  },
})
